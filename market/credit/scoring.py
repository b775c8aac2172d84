"""一表分级评价 scoring: online completeness and truthfulness, offline checklist, grade. Pure.

Arithmetic is exact (Fraction). Each part is rounded half up to tenths of a point and the
total is the sum of the rounded parts, so the figures shown add up and the grade follows
the total shown: a total shown as 90.0 is an A whatever the unrounded sum. Deductions are
shown rounded the same way, so they need not add up to a part to the last tenth.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from fractions import Fraction
from numbers import Rational
from typing import NamedTuple

from market.manifests import periods
from market.manifests.ledger import Flag, GeneratorRow, RecyclerRow, Stock
from market.manifests.periods import FilingState


class Grade(StrEnum):
    A = "A"  # 绿 诚信
    B = "B"  # 蓝 良好
    C = "C"  # 黄 警示
    D = "D"  # 红 不良


COLOURS = {Grade.A: "green", Grade.B: "blue", Grade.C: "yellow", Grade.D: "red"}


class GradedRole(StrEnum):  # the values of accounts.models.Role, all graded
    GENERATOR = "generator"
    RECYCLER = "recycler"
    TRANSPORTER = "transporter"


class Reason(StrEnum):
    LATE_FILING = "late_filing"
    MISSING_FILING = "missing_filing"
    NEGATIVE_STOCK = "negative_stock"  # moved out more than was held in a period
    WEIGHT_DISCREPANCY = "weight_discrepancy"  # received vs declared beyond the tolerance
    LATE_RECEIPT = "late_receipt"  # the receiver signed after the limit, or not yet
    CORRECTION = "correction"  # a filing corrected after it was filed
    OFFLINE_ITEM = "offline_item"  # points an offline checklist item fell short of its maximum
    # Warnings (预警) raised in the window, by the level they were raised at …
    WARNING_LOW = "warning_low"
    WARNING_MEDIUM = "warning_medium"
    WARNING_HIGH = "warning_high"
    # … and each answer or rectification the enterprise let pass its day (escalated)
    WARNING_OVERDUE = "warning_overdue"


class Problem(StrEnum):
    UNSCORED = "unscored"
    UNKNOWN_ITEM = "unknown_item"
    OUT_OF_RANGE = "out_of_range"
    NO_CHECKLIST = "no_checklist"


class ScoringError(ValueError):
    def __init__(self, problem: Problem, value: object):
        super().__init__(f"{problem.value}: {value!r}")
        self.problem = problem
        self.value = value


class Ref(NamedTuple):
    """A row behind a figure: table filing / manifest / utilisation / disposal / violation."""

    table: str
    id: int


@dataclass(frozen=True)
class Deduction:
    reason: Reason
    points: Fraction
    refs: tuple[Ref, ...] = ()
    subject: str = ""  # "HW49 2026-11", an offline item's key


@dataclass(frozen=True)
class Item:
    key: str
    role: GradedRole
    max_points: int


DEFAULT_CHECKLIST = (  # seed 003:388–392
    Item("generator.management_system", GradedRole.GENERATOR, 15),  # 固体废物管理制度
    Item("generator.reduction", GradedRole.GENERATOR, 15),  # 减量化措施
    Item("generator.storage_site", GradedRole.GENERATOR, 15),  # 存贮场所管理
    Item("generator.transfer_disposal", GradedRole.GENERATOR, 15),  # 转移与处置管理
    Item("recycler.waste_management", GradedRole.RECYCLER, 20),  # 固体废物管理情况
    Item("recycler.transport", GradedRole.RECYCLER, 20),  # 运输情况
    Item("recycler.storage_site", GradedRole.RECYCLER, 20),  # 贮存场所管理
    # The seeds name no transporter checklist; issue 9 names its three subjects.
    Item("transporter.vehicles", GradedRole.TRANSPORTER, 20),  # 车辆
    Item("transporter.qualifications", GradedRole.TRANSPORTER, 20),  # 资质
    Item("transporter.on_time_pickup", GradedRole.TRANSPORTER, 20),  # 按时收运
)
DEFAULT_DEDUCTIONS = {
    Reason.NEGATIVE_STOCK: Fraction(5),
    Reason.WEIGHT_DISCREPANCY: Fraction(2),
    Reason.LATE_RECEIPT: Fraction(1),
    Reason.CORRECTION: Fraction(1),
    Reason.WARNING_LOW: Fraction(1, 2),
    Reason.WARNING_MEDIUM: Fraction(1),
    Reason.WARNING_HIGH: Fraction(2),
    Reason.WARNING_OVERDUE: Fraction(1),
}
TRUTHFULNESS = tuple(DEFAULT_DEDUCTIONS)
WARNING_LEVELS = {
    "low": Reason.WARNING_LOW,
    "medium": Reason.WARNING_MEDIUM,
    "high": Reason.WARNING_HIGH,
}
# Warnings whose raising costs nothing here: the online part judges their cause already
# (a weight discrepancy, a late receipt: truthfulness; a missing filing: completeness), or
# the cause is the market's, not a fault (a lot nobody bid on). An answer day let pass
# still costs, whatever the rule: the loop is the enterprise's to keep.
NOT_SCORED_WHEN_RAISED = frozenset(
    {"weight_discrepancy", "late_receipt", "missing_filing", "lot_no_bid"}
)


def _points(value: object, what: str) -> Fraction:
    if not isinstance(value, Rational) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} must be a non-negative whole or fractional number: {value!r}")
    return Fraction(value)


@dataclass(frozen=True)
class Settings:
    """Per-park settings; the three parts add up to 100 and thresholds fall A > B > C."""

    completeness: int = 20
    truthfulness: int = 20
    offline: int = 60
    late_credit: Fraction = Fraction(1, 2)  # a late filing earns this share of an on-time one
    deductions: Mapping[Reason, Fraction] = field(default_factory=lambda: dict(DEFAULT_DEDUCTIONS))
    thresholds: tuple[Fraction, Fraction, Fraction] = (Fraction(90), Fraction(75), Fraction(60))
    checklist: tuple[Item, ...] = DEFAULT_CHECKLIST

    def __post_init__(self):
        parts = [_points(p, "a part's maximum") for p in (self.completeness, self.truthfulness)]
        if sum(parts) + _points(self.offline, "the offline maximum") != 100:
            raise ValueError("completeness, truthfulness and offline must add up to 100")
        if _points(self.late_credit, "the late credit") > 1:
            raise ValueError("a late filing cannot earn more than an on-time one")
        for reason in TRUTHFULNESS:
            _points(self.deductions.get(reason), f"the deduction for {reason}")
        a, b, c = (_points(t, "a threshold") for t in self.thresholds)
        if not 100 >= a > b > c > 0:
            raise ValueError("thresholds must fall: 100 ≥ A > B > C > 0")
        if len({item.key for item in self.checklist}) != len(self.checklist):
            raise ValueError("checklist keys must be unique")
        if any(_points(item.max_points, item.key) == 0 for item in self.checklist):
            raise ValueError("a checklist item needs a positive maximum")


@dataclass(frozen=True)
class Owed:
    """One filing owed in the window, and how it stands."""

    code: str
    period_key: str
    state: FilingState
    filing_id: int | None = None


@dataclass(frozen=True)
class ManifestFacts:
    manifest_id: int
    weight_discrepancy: bool = False
    receipt_late: bool = False


@dataclass(frozen=True)
class WarningFacts:
    """One warning of the enterprise raised in the window (预警, domain.md §8)."""

    warning_id: int
    rule: str
    level: str  # the level it was raised at: low, medium or high
    overdue: int = 0  # answer days let pass: escalations in the window, + 1 if overdue at its end

    def __post_init__(self):
        if self.level not in WARNING_LEVELS:
            raise ValueError(f"unknown warning level: {self.level!r}")
        if not isinstance(self.overdue, int) or self.overdue < 0:
            raise ValueError(f"overdue must be a whole number ≥ 0: {self.overdue!r}")


@dataclass(frozen=True)
class Evidence:
    """What the online part is judged on; ledgers are per waste code."""

    roles: frozenset[GradedRole]
    owed: Sequence[Owed] = ()
    ledgers: Mapping[str, Sequence[Stock]] = field(default_factory=dict)
    manifests: Sequence[ManifestFacts] = ()
    corrected_filing_ids: Sequence[int] = ()
    violation_ids: Sequence[int] = ()  # confirmed serious violations
    warnings: Sequence[WarningFacts] = ()


@dataclass(frozen=True)
class Part:
    name: str  # completeness / truthfulness / offline
    max_points: int
    exact: Fraction
    deductions: tuple[Deduction, ...]

    @property
    def tenths(self) -> int:
        return tenths(self.exact)


@dataclass(frozen=True)
class Breakdown:
    parts: tuple[Part, ...]
    total_tenths: int
    grade: Grade
    forced_by: tuple[Ref, ...]  # serious violations that forced D
    nothing_due: bool  # no filing fell due in the window: completeness is full marks

    @property
    def colour(self) -> str:
        return COLOURS[self.grade]

    def as_dict(self) -> dict:
        """Plain JSON-ready values; points as text with one decimal ("87.5")."""
        rows = lambda refs: [ref._asdict() for ref in refs]  # noqa: E731
        parts = [
            {"name": p.name, "score": shown(p.tenths), "max": p.max_points, "deductions": [
                {"reason": d.reason.value, "points": shown(tenths(d.points)),
                 "subject": d.subject, "rows": rows(d.refs)} for d in p.deductions]}
            for p in self.parts
        ]  # fmt: skip
        return {"total": shown(self.total_tenths), "grade": self.grade.value,
                "colour": self.colour, "forced_by": rows(self.forced_by),
                "nothing_due": self.nothing_due, "parts": parts}  # fmt: skip


def tenths(points: Fraction) -> int:
    """Points in tenths, rounded half up."""
    return math.floor(points * 10 + Fraction(1, 2))


def shown(tenths: int) -> str:
    return f"{tenths // 10}.{tenths % 10}"


def _part(name: str, most: int, deductions: list[Deduction]) -> Part:
    exact = max(Fraction(0), most - sum((d.points for d in deductions), Fraction(0)))
    return Part(name, most, exact, tuple(deductions))


def owed_filings(
    codes: Iterable[str],
    tiers: Sequence[periods.Tier],
    window: tuple[date, date],
    filings: Mapping[tuple[str, str], tuple[int, date]],
    today: date,
    rules: Mapping[periods.Kind, periods.Due] = periods.DEFAULT_DUE,
) -> tuple[Owed, ...]:
    """Each code owes every period due in the window (per tier segment, see periods_due).

    :param filings: (code, period key) → (filing id, the day it was filed).
    """
    if window[1] > today:
        raise ValueError("the window cannot end after today")
    owed = []
    for period in periods.periods_due(tiers, *window, rules):
        for code in sorted(set(codes)):
            filing_id, filed_on = filings.get((code, period.key), (None, None))
            state = periods.filing_state(period, filed_on, today, rules)
            owed.append(Owed(code, period.key, state, filing_id))
    return tuple(owed)


def completeness(owed: Sequence[Owed], settings: Settings) -> Part:
    """Each owed filing carries an equal share; late ones earn `late_credit` of it."""
    counted = [o for o in owed if o.state is not FilingState.NOT_DUE]
    share = Fraction(settings.completeness, len(counted) or 1)
    lost = {
        FilingState.LATE: (Reason.LATE_FILING, share * (1 - Fraction(settings.late_credit))),
        FilingState.MISSING: (Reason.MISSING_FILING, share),
    }
    deductions = [
        Deduction(*lost[o.state], _filing_refs([o.filing_id]), f"{o.code} {o.period_key}")
        for o in counted
        if o.state in lost
    ]
    return _part("completeness", settings.completeness, deductions)


def _filing_refs(ids: Iterable[int | None]) -> tuple[Ref, ...]:
    return tuple(Ref("filing", i) for i in ids if i is not None)


def _stock_refs(row: Stock) -> tuple[Ref, ...]:
    if isinstance(row, GeneratorRow):
        return _filing_refs(row.filing_ids) + tuple(Ref("manifest", i) for i in row.manifest_ids)
    if not isinstance(row, RecyclerRow):
        raise TypeError(f"not a ledger row: {row!r}")
    tables = (("manifest", row.manifest_ids), ("utilisation", row.utilised_ids),
              ("disposal", row.disposed_ids))  # fmt: skip
    return tuple(Ref(table, i) for table, ids in tables for i in ids)


def truthfulness(evidence: Evidence, settings: Settings) -> Part:
    """Full marks less a per-park deduction for each inconsistency, never below 0.

    A ledger row counts when its period moved waste out and closed below zero: more left
    than was held. A row that is only still negative from an earlier period does not count.
    """
    size = {reason: Fraction(settings.deductions[reason]) for reason in TRUTHFULNESS}
    found = [
        Deduction(Reason.NEGATIVE_STOCK, size[Reason.NEGATIVE_STOCK], _stock_refs(row),
                  f"{code} {row.period.key}")
        for code, rows in sorted(evidence.ledgers.items())
        for row in rows
        if Flag.NEGATIVE_STOCK in row.flags and row.out_kg > 0
    ]  # fmt: skip
    for facts in evidence.manifests:
        refs = (Ref("manifest", facts.manifest_id),)
        for reason, happened in (
            (Reason.WEIGHT_DISCREPANCY, facts.weight_discrepancy),
            (Reason.LATE_RECEIPT, facts.receipt_late),
        ):
            found += [Deduction(reason, size[reason], refs)] if happened else []
    found += [
        Deduction(Reason.CORRECTION, size[Reason.CORRECTION], _filing_refs([i]))
        for i in sorted(set(evidence.corrected_filing_ids))
    ]
    return _part("truthfulness", settings.truthfulness, found + warning_deductions(evidence, size))


def warning_deductions(evidence: Evidence, size: Mapping[Reason, Fraction]) -> list[Deduction]:
    """A warning raised in the window costs its level's deduction (unless its cause is
    judged elsewhere, see NOT_SCORED_WHEN_RAISED); each answer day it let pass costs the
    overdue deduction once more."""
    found = []
    for w in sorted(evidence.warnings, key=lambda w: w.warning_id):
        refs = (Ref("warning", w.warning_id),)
        if w.rule not in NOT_SCORED_WHEN_RAISED:
            reason = WARNING_LEVELS[w.level]
            found.append(Deduction(reason, size[reason], refs, w.rule))
        found += [Deduction(Reason.WARNING_OVERDUE, size[Reason.WARNING_OVERDUE], refs, w.rule)
                  for _ in range(w.overdue)]  # fmt: skip
    return found


def offline(roles: Iterable[GradedRole], marks: Mapping[str, object], settings: Settings) -> Part:
    """An enterprise with both roles is scored on both checklists combined: its marks over
    the two lists' maxima together (so each item weighs by its maximum, not by its list)."""
    items = [item for item in settings.checklist if item.role in set(roles)]
    if not items:
        raise ScoringError(Problem.NO_CHECKLIST, sorted(roles))
    unknown = set(marks) - {item.key for item in items}
    if unknown:
        raise ScoringError(Problem.UNKNOWN_ITEM, sorted(unknown)[0])
    scale = Fraction(settings.offline, sum(item.max_points for item in items))
    deductions = []
    for item in items:
        if item.key not in marks:
            raise ScoringError(Problem.UNSCORED, item.key)
        mark = marks[item.key]  # exact numbers only (int, Fraction): no float drift
        if (
            not isinstance(mark, Rational)
            or isinstance(mark, bool)
            or not 0 <= mark <= item.max_points
        ):
            raise ScoringError(Problem.OUT_OF_RANGE, item.key)
        if mark < item.max_points:
            lost = (item.max_points - Fraction(mark)) * scale
            deductions.append(Deduction(Reason.OFFLINE_ITEM, lost, (), item.key))
    return _part("offline", settings.offline, deductions)


def grade_of(total_tenths: int, settings: Settings, forced: bool = False) -> Grade:
    """A score on a threshold lands in the higher grade; a serious violation forces D."""
    if not forced:
        for grade, threshold in zip((Grade.A, Grade.B, Grade.C), settings.thresholds, strict=True):
            if Fraction(total_tenths, 10) >= threshold:
                return grade
    return Grade.D


def nothing_due(owed: Sequence[Owed]) -> bool:
    return not any(o.state is not FilingState.NOT_DUE for o in owed)


def combine(
    parts: Sequence[Part], violation_ids: Iterable[int], nothing_due: bool, settings: Settings
) -> Breakdown:
    """The grade of parts computed separately (the online part when an evaluation opens,
    the offline part when it is submitted)."""
    total = sum(part.tenths for part in parts)
    forced_by = tuple(Ref("violation", i) for i in sorted(set(violation_ids)))
    return Breakdown(tuple(parts), total, grade_of(total, settings, bool(forced_by)), forced_by,
                     nothing_due)  # fmt: skip


def evaluate(evidence: Evidence, marks: Mapping[str, object], settings: Settings) -> Breakdown:
    parts = (
        completeness(evidence.owed, settings),
        truthfulness(evidence, settings),
        offline(evidence.roles, marks, settings),
    )
    return combine(parts, evidence.violation_ids, nothing_due(evidence.owed), settings)


def part_to_dict(part: Part) -> dict:
    """A part as stored JSON, exact: points as "numerator/denominator" text."""
    return {"name": part.name, "max": part.max_points, "exact": str(part.exact),
            "deductions": [{"reason": d.reason.value, "points": str(d.points),
                            "subject": d.subject, "rows": [list(r) for r in d.refs]}
                           for d in part.deductions]}  # fmt: skip


def part_from_dict(data: Mapping) -> Part:
    deductions = tuple(
        Deduction(Reason(d["reason"]), Fraction(d["points"]),
                  tuple(Ref(t, int(i)) for t, i in d["rows"]), d["subject"])
        for d in data["deductions"]
    )  # fmt: skip
    return Part(data["name"], int(data["max"]), Fraction(data["exact"]), deductions)
