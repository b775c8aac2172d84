"""How a typed query and the catalogue's own text are folded before matching. Pure.

Plants type traditional characters (Taiwan and Hong Kong suppliers, old forms),
full-width letters, pinyin with tone marks or tone numbers, category shorthand
("hw8", "SW-17") and codes without their dashes ("900 041 49"). Each is folded to
the one form the index holds: simplified, half-width, lower case, toneless pinyin,
"hw08", "90004149".
"""

import re
import unicodedata
from functools import lru_cache

from opencc import OpenCC
from pypinyin import lazy_pinyin

PUNCTUATION = re.compile(r"[\s·•,，。、;；:：()（）\[\]【】\"'“”]")
# Syllables with an optional tone number: "fei4ji1you2"; "v" and "u:" spell ü.
NUMBERED_PINYIN = re.compile(r"^(?:[a-z]+(?:u:)?[a-z]*[0-5]?)+$")
SHORTHAND = re.compile(r"^(hw|sw|isw)-*(\d{1,2})$")
CODE_LIKE = re.compile(r"^(?:(?:hw|sw|isw)-*\d[\d-]*|\d[\d-]{2,})$")
LATIN = re.compile(r"^[a-z]+$")
COMBINING_DIAERESIS = "\u0308"

_t2s = OpenCC("t2s")


@lru_cache(maxsize=4096)
def simplified(text: str) -> str:
    """Traditional characters to simplified ones (OpenCC's t2s phrase tables)."""
    return _t2s.convert(text) if text else ""


def normalise(text: str) -> str:
    """Half-width, simplified, lower case, without spaces and punctuation."""
    folded = PUNCTUATION.sub("", unicodedata.normalize("NFKC", text or "")).lower()
    return simplified(folded)


def pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text, errors="ignore")).lower()


def plain_pinyin(q: str) -> str:
    """Pinyin typed with tone marks (fèijīyóu) or numbers (fei4ji1you2) as plain letters.

    ü is spelled "v", as pypinyin spells it; a query that is not pinyin is returned as is.
    """
    decomposed = unicodedata.normalize("NFD", q)
    if decomposed.isascii() and not any(ch.isdigit() for ch in q):
        return q
    letters = []
    for ch in decomposed:
        if ch == COMBINING_DIAERESIS and letters and letters[-1] == "u":
            letters[-1] = "v"
        elif not unicodedata.combining(ch):
            letters.append(ch)
    plain = "".join(letters)
    if not plain.isascii():
        return q
    if NUMBERED_PINYIN.match(plain) and not CODE_LIKE.match(plain):
        return re.sub(r"[0-5]", "", plain.replace("u:", "v"))
    return plain


def code_key(text: str) -> str:
    """A code or category without dashes, with a one-digit category padded: hw8 → hw08."""
    compact = text.lower().replace("-", "")
    shorthand = SHORTHAND.match(text.lower())
    if shorthand:
        return f"{shorthand.group(1)}{int(shorthand.group(2)):02d}"
    return compact
