"""Chinese phone numbers: mobile (11 digits from 13–19) or landline with area code. Pure."""

import re

MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
#: area code (010 and 020–029 have three digits, the rest four), a 7–8 digit number, an
#: optional extension
LANDLINE = re.compile(r"^(?:\+?86)?(0[12]\d|0[3-9]\d{2})(\d{7,8})(?:(?:转|ext\.?|x|#)(\d{1,6}))?$")
SEPARATORS = re.compile(r"[\s\-()（）]")


def validate(raw: str) -> str:
    """The number in one written form (13812345678, 010-12345678, 0755-1234567 转 12);
    ValueError if it is neither a mobile nor a landline number."""
    text = SEPARATORS.sub("", (raw or "").strip()).lower()
    mobile = MOBILE.match(text)
    if mobile:
        return mobile.group(1)
    landline = LANDLINE.match(text)
    if landline:
        area, number, ext = landline.groups()
        return f"{area}-{number}" + (f" 转 {ext}" if ext else "")
    raise ValueError(raw)
