"""统一社会信用代码 (GB 32100-2015): normalising, checking and generating. Pure."""

import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]
SHAPE = re.compile(rf"^[{ALPHABET}]{{2}}\d{{6}}[{ALPHABET}]{{10}}$")


class UsccError(ValueError):
    """Why a code was refused; `reason` is one of: length, characters, check."""

    def __init__(self, reason: str, expected: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.expected = expected


def normalise(raw: str) -> str:
    return re.sub(r"[\s\-]", "", raw or "").upper()


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(raw: str) -> str:
    """Return the normalised code or raise UsccError saying what is wrong."""
    code = normalise(raw)
    if len(code) != 18:
        raise UsccError("length")
    if not SHAPE.match(code):
        raise UsccError("characters")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise UsccError("check", expected)
    return code


def is_valid(raw: str) -> bool:
    try:
        validate(raw)
    except UsccError:
        return False
    return True


def make(prefix: str, region: str, body: str) -> str:
    """Build a valid code from a 2-char prefix, 6-digit region and 9-char body."""
    first17 = prefix + region + body
    if len(first17) != 17 or any(ch not in ALPHABET for ch in first17):
        raise UsccError("characters")
    return first17 + check_character(first17)
