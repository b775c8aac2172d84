"""Chinese vehicle plates on transport records: normalising and checking their shape. Pure.

Shapes (GA 36, as summarised in research/codes-and-forms.md §6):
- ordinary: province + issuing letter + 5 letters/digits (鲁A12345);
- trailer: province + issuing letter + 4 letters/digits + 挂 (鲁A1234挂);
- new energy, small: province + letter + D/F + letter/digit + 4 digits (京AD12345);
- new energy, large: province + letter + 5 digits + D/F (京A12345D).
Letters I and O are never used. Only the shape is checked; whether the plate is
registered is not knowable here.
"""

import re
import unicodedata
from enum import StrEnum
from typing import NamedTuple

PROVINCES = frozenset("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O
SERIAL = frozenset(LETTERS + "0123456789")
TRAILER = "挂"
SPECIAL_USE = frozenset("学警领使港澳试超")  # learner, police, consular, border, test plates
_DROPPED = re.compile(r"[\s·・•.\-]")
_SMALL_NEW_ENERGY = re.compile(r"[DF][A-HJ-NP-Z0-9]\d{4}")
_LARGE_NEW_ENERGY = re.compile(r"\d{5}[DF]")


class PlateKind(StrEnum):
    ORDINARY = "ordinary"
    TRAILER = "trailer"
    NEW_ENERGY_SMALL = "new_energy_small"
    NEW_ENERGY_LARGE = "new_energy_large"


class PlateProblem(StrEnum):
    EMPTY = "empty"
    WRONG_LENGTH = "wrong_length"  # 7 characters (trailers too), 8 for new-energy plates
    UNKNOWN_PROVINCE = "unknown_province"  # the first character is no province's abbreviation
    BAD_LETTER = "bad_letter"  # the second character is not a letter A-Z other than I and O
    BAD_CHARACTER = "bad_character"  # the serial holds I, O or a character that is no letter/digit
    SPECIAL_USE = "special_use"  # 学/警/领/使/港/澳/试/超 plates do not carry waste
    NEW_ENERGY_PATTERN = "new_energy_pattern"  # 8 characters but D/F not where it must be


class PlateError(ValueError):
    def __init__(self, problem: PlateProblem, plate: str):
        super().__init__(f"{problem}: {plate!r}")
        self.problem = problem
        self.plate = plate


class Plate(NamedTuple):
    text: str
    kind: PlateKind


def normalise(raw: str) -> str:
    """Full-width to half-width, upper case, without spaces, dots and hyphens."""
    return _DROPPED.sub("", unicodedata.normalize("NFKC", raw or "")).upper()


def parse_plate(raw: str) -> Plate:
    """The normalised plate and its kind, or PlateError naming the first problem."""
    text = normalise(raw)
    if not text:
        raise PlateError(PlateProblem.EMPTY, text)
    if len(text) not in (7, 8) or (text.endswith(TRAILER) and len(text) != 7):
        raise PlateError(PlateProblem.WRONG_LENGTH, text)
    if text[0] not in PROVINCES:
        problem = (
            PlateProblem.SPECIAL_USE if text[0] in SPECIAL_USE else PlateProblem.UNKNOWN_PROVINCE
        )
        raise PlateError(problem, text)
    if text[1] not in LETTERS:
        raise PlateError(PlateProblem.BAD_LETTER, text)
    return Plate(text, _kind(text))


def _kind(text: str) -> PlateKind:
    serial = text[2:]
    if serial[-1] in SPECIAL_USE:
        raise PlateError(PlateProblem.SPECIAL_USE, text)
    trailer = serial[-1] == TRAILER
    if any(ch not in SERIAL for ch in (serial[:-1] if trailer else serial)):
        raise PlateError(PlateProblem.BAD_CHARACTER, text)
    if trailer:
        return PlateKind.TRAILER
    if len(serial) == 5:
        return PlateKind.ORDINARY
    if _SMALL_NEW_ENERGY.fullmatch(serial):
        return PlateKind.NEW_ENERGY_SMALL
    if _LARGE_NEW_ENERGY.fullmatch(serial):
        return PlateKind.NEW_ENERGY_LARGE
    raise PlateError(PlateProblem.NEW_ENERGY_PATTERN, text)


def normalise_plate(raw: str) -> str:
    """The normalised plate, or PlateError."""
    return parse_plate(raw).text
