"""Manifest numbers: year (4) + the park's division code (6) + serial per year and region (6).

Pure format, parse and validate. Allocating the next serial without a race is the
database's job; `next_number` only says what follows a given serial. The national
system's own number (第十五条) is 14 digits with a 4-digit prefecture prefix; ours
keeps the park's full 6-digit 行政区划代码 (GB/T 2260) so its county is readable.
"""

import re
from typing import NamedTuple

MIN_YEAR = 2022  # the transfer regulation with electronic manifests took effect 2022-01-01
MAX_YEAR = 2099
MAX_SERIAL = 999_999
LENGTH = 16
# GB/T 2260 province-level prefixes of the 31 mainland divisions the national system covers.
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65".split()
)
_SEPARATORS = re.compile(r"[\s\-·－]")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_DIGITS = re.compile(r"[0-9]*")


class NumberError(ValueError):
    """Why a number was refused; `kind` is one of: length, characters, year, region, serial,
    overflow."""

    def __init__(self, kind: str, detail: str):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


class ManifestNumber(NamedTuple):
    """Parsed parts; as a tuple it sorts by year, region, serial."""

    year: int
    region: str
    serial: int

    def __str__(self) -> str:
        return f"{self.year:04d}{self.region}{self.serial:06d}"


def check_year(year: int) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise NumberError("year", f"year must be {MIN_YEAR}-{MAX_YEAR}, got {year!r}")
    return year


def check_region(region: str) -> str:
    if not isinstance(region, str) or len(region) != 6 or not _DIGITS.fullmatch(region):
        raise NumberError("region", f"a division code is 6 digits, got {region!r}")
    if region[:2] not in PROVINCES or region[2:] == "0000":
        raise NumberError("region", f"{region} is not a mainland prefecture or county code")
    return region


def check_serial(serial: int) -> int:
    if isinstance(serial, bool) or not isinstance(serial, int) or not 1 <= serial <= MAX_SERIAL:
        raise NumberError("serial", f"serial must be 1-{MAX_SERIAL}, got {serial!r}")
    return serial


def format_number(year: int, region: str, serial: int) -> str:
    return str(ManifestNumber(check_year(year), check_region(region), check_serial(serial)))


def normalise(raw: str) -> str:
    """Full-width digits to ASCII; spaces, hyphens and middle dots dropped."""
    return _SEPARATORS.sub("", (raw or "").translate(_FULL_WIDTH))


def parse_number(raw: str) -> ManifestNumber:
    """The parts of a typed or scanned number, or NumberError saying what is wrong."""
    text = normalise(raw)
    if len(text) != LENGTH:
        raise NumberError("length", f"a manifest number has {LENGTH} digits, got {len(text)}")
    if not _DIGITS.fullmatch(text):
        raise NumberError("characters", "a manifest number has digits only")
    return ManifestNumber(
        check_year(int(text[:4])), check_region(text[4:10]), check_serial(int(text[10:]))
    )


def is_valid(raw: str) -> bool:
    try:
        parse_number(raw)
    except NumberError:
        return False
    return True


def next_number(year: int, region: str, last_serial: int = 0) -> ManifestNumber:
    """The number after `last_serial` (0: none yet) in this year and region."""
    check_year(year)
    check_region(region)
    if last_serial == MAX_SERIAL:
        raise NumberError("overflow", f"all {MAX_SERIAL} serials of {year} in {region} are used")
    if last_serial != 0:
        check_serial(last_serial)
    return ManifestNumber(year, region, last_serial + 1)


def sort_key(raw: str) -> ManifestNumber:
    """Sort manifests by year, then region, then serial."""
    return parse_number(raw)
