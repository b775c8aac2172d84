"""Plain values the matching core works on. Pure."""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

EPOCH = date(2000, 1, 1)


def day_number(day: date | None, missing: int) -> int:
    return missing if day is None else (day - EPOCH).days


class Filter(StrEnum):
    """Hard filters, in the order they are checked and reported."""

    SAME_ENTERPRISE = "same_enterprise"
    CODE = "code"  # no accepted code compatible (hazardous: not the exact licensed code)
    RADIUS = "radius"
    CAPACITY = "capacity"
    LICENCE = "licence"  # no licence valid on the day (required for hazardous)
    CREDIT = "credit"  # grade D


@dataclass(frozen=True)
class CodeKey:
    """Where a code sits: exact code, subcategory, category (schemes folded: ISW-17 ≡ SW17)."""

    code: str
    subcategory: str
    category: str
    hazardous: bool

    @classmethod
    def parse(cls, code: str, hazardous: bool = False) -> "CodeKey":
        return cls(code, subcategory_of(code), category_of(code), hazardous)


def category_of(code: str) -> str:
    """HW codes: HWxx from the last two digits; ISW-17-…/SW17: the class "17"."""
    code = code.upper()
    if code.startswith("ISW-"):
        return "SW" + code[4:6]
    if code.startswith("SW"):
        return code[:4]
    if code.startswith("HW"):
        return code[:4]
    if len(code) == 10 and code[3] == "-" and code[7] == "-":
        return "HW" + code[8:10]
    return code


def subcategory_of(code: str) -> str:
    code = code.upper()
    if code.startswith("ISW-") and len(code) >= 9:
        return code[:9]
    return ""  # HW and SW codes have no finer level than category here


@dataclass(frozen=True)
class Supply:
    id: int
    enterprise_id: int
    lat: float
    lon: float
    code: CodeKey
    quantity_kg: int
    grade: str | None = None


@dataclass(frozen=True)
class Demand:
    id: int
    enterprise_id: int
    lat: float
    lon: float
    codes: tuple[CodeKey, ...]
    remaining_kg: int
    radius_km: float
    licence_codes: frozenset[str] = frozenset()  # codes the licence covers
    licence_from: date | None = None
    licence_until: date | None = None
    has_licence: bool = False
    grade: str | None = None  # published credit grade A–D, None when ungraded


@dataclass(frozen=True)
class Weights:
    code: float = 0.35
    distance: float = 0.25
    capacity: float = 0.20
    credit: float = 0.20

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.code, self.distance, self.capacity, self.credit)


@dataclass(frozen=True)
class Settings:
    weights: Weights = field(default_factory=Weights)
    grade_values: dict = field(default_factory=lambda: {"A": 1.0, "B": 0.8, "C": 0.5, None: 0.6})
    road_factor: float = 1.0  # road km per great-circle km, for the radius check

    def grade_value(self, grade: str | None) -> float:
        return float(self.grade_values.get(grade, self.grade_values[None]))


@dataclass(frozen=True)
class Match:
    """One ranked counterpart and the parts of its score."""

    id: int
    score: float
    code: float
    distance_km: float
    distance: float
    capacity: float
    credit: float
    grade: str | None


@dataclass
class Ranking:
    """The best k counterparts, and what happened to every other open counterpart.

    `candidates` counts every open counterpart listing (all categories, any distance);
    each is either eligible (passes every hard filter) or counted once in `excluded`,
    under the first filter it fails in Filter order:
    candidates == eligible + sum(excluded.values())."""

    matches: list[Match]
    excluded: dict[Filter, int]  # how many open counterparts each hard filter removed
    examples: dict[Filter, list[int]]  # a few of their ids per filter, for "why not"
    candidates: int = 0
    eligible: int = 0
