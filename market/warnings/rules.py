"""Warning rules (预警): five categories, three levels, one function per rule over plain
values and a park's settings. Pure: no Flask, no database.

Each rule returns `Cause`s. A cause names the enterprise that answers for it, a key that is
stable for as long as the cause lasts (the service raises one warning per key, never again
on the next run) and whether a warning raised for it closes by itself once the rule no
longer finds it (`auto_close`). Facts are plain JSON-able values the pages word.
"""

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from enum import StrEnum
from fractions import Fraction

from market.manifests.workdays import WorkingCalendar, add_working_days


class Category(StrEnum):
    GENERATION = "generation"  # 产生
    TRANSFER = "transfer"  # 转移
    STOCK = "stock"  # 库存
    OPERATION = "operation"  # 经营
    DECLARATION = "declaration"  # 申报


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


LEVEL_ORDER = (Level.LOW, Level.MEDIUM, Level.HIGH)


def level_above(level: str) -> Level:
    """One level up; high stays high."""
    index = LEVEL_ORDER.index(Level(level))
    return LEVEL_ORDER[min(index + 1, len(LEVEL_ORDER) - 1)]


class RuleKey(StrEnum):
    LATE_RECEIPT = "late_receipt"
    WEIGHT_DISCREPANCY = "weight_discrepancy"
    STOCK_HELD = "stock_held"
    OVER_CAPACITY = "over_capacity"
    EXPIRED_LICENCE = "expired_licence"
    MISSING_FILING = "missing_filing"
    UNDER_DECLARED = "under_declared"
    GENERATION_SPIKE = "generation_spike"
    LOT_NO_BID = "lot_no_bid"


@dataclass(frozen=True)
class RuleInfo:
    category: Category
    auto_close: bool  # closes by itself when the rule no longer finds the cause


RULES: Mapping[RuleKey, RuleInfo] = {
    # the waste is still in limbo; signing the receipt removes the cause
    RuleKey.LATE_RECEIPT: RuleInfo(Category.TRANSFER, auto_close=True),
    # a weighed fact: it stays what it was, someone must answer for it
    RuleKey.WEIGHT_DISCREPANCY: RuleInfo(Category.TRANSFER, auto_close=False),
    RuleKey.STOCK_HELD: RuleInfo(Category.STOCK, auto_close=True),
    RuleKey.OVER_CAPACITY: RuleInfo(Category.OPERATION, auto_close=False),
    RuleKey.EXPIRED_LICENCE: RuleInfo(Category.OPERATION, auto_close=False),
    RuleKey.MISSING_FILING: RuleInfo(Category.DECLARATION, auto_close=True),
    RuleKey.UNDER_DECLARED: RuleInfo(Category.GENERATION, auto_close=True),
    RuleKey.GENERATION_SPIKE: RuleInfo(Category.GENERATION, auto_close=True),
    RuleKey.LOT_NO_BID: RuleInfo(Category.TRANSFER, auto_close=True),
}


@dataclass(frozen=True)
class Cause:
    rule: RuleKey
    enterprise_id: int
    key: str  # stable per cause, e.g. "manifest:17"
    level: Level
    facts: Mapping = field(default_factory=dict)

    @property
    def category(self) -> Category:
        return RULES[self.rule].category

    @property
    def auto_close(self) -> bool:
        return RULES[self.rule].auto_close


# ---- settings ----------------------------------------------------------------------------

LIMITS = {  # name: (lowest, highest)
    "receipt_working_days": (1, 30),
    "discrepancy_low_pct": (1, 100),
    "discrepancy_high_pct": (1, 100),
    "storage_days": (1, 3650),
    "capacity_margin_pct": (0, 100),
    "declared_margin_pct": (0, 100),
    "spike_factor_pct": (101, 10000),
    "spike_min_history": (1, 24),
    "no_bid_days": (1, 365),
    "answer_working_days": (1, 30),
}


@dataclass(frozen=True)
class Settings:
    """A park's warning settings: every rule can be switched off; thresholds as whole numbers."""

    late_receipt_on: bool = True
    receipt_working_days: int = 5  # 危险废物转移管理办法 第十八条
    weight_discrepancy_on: bool = True
    discrepancy_low_pct: int = 5  # beyond it: low
    discrepancy_high_pct: int = 20  # beyond it: high
    stock_held_on: bool = True
    storage_days: int = 365  # 贮存 beyond a year
    over_capacity_on: bool = True
    capacity_margin_pct: int = 0
    expired_licence_on: bool = True
    missing_filing_on: bool = True
    under_declared_on: bool = True
    declared_margin_pct: int = 5
    generation_spike_on: bool = True
    spike_factor_pct: int = 300  # the latest filing above 3 × the enterprise's own average
    spike_min_history: int = 3
    lot_no_bid_on: bool = True
    no_bid_days: int = 14
    answer_working_days: int = 5  # for the enterprise's answer or rectification

    def __post_init__(self):
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name.endswith("_on"):
                if not isinstance(value, bool):
                    raise ValueError(f"{item.name} must be true or false")
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{item.name} must be a whole number")
            low, high = LIMITS[item.name]
            if not low <= value <= high:
                raise ValueError(f"{item.name} must be from {low} to {high}")
        if self.discrepancy_high_pct <= self.discrepancy_low_pct:
            raise ValueError("discrepancy_high_pct must be above discrepancy_low_pct")

    def is_on(self, rule: RuleKey) -> bool:
        return getattr(self, f"{rule.value}_on")

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping) -> "Settings":
        """Stored values over the defaults; unknown names are ignored (a removed setting)."""
        known = {item.name for item in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


# ---- the rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Transit:
    """A manifest picked up and not yet signed for."""

    manifest_id: int
    receiver_id: int
    pickup_day: date


def late_receipts(
    rows: Iterable[Transit], today: date, calendar: WorkingCalendar, settings: Settings
) -> list[Cause]:
    """转移: a receipt not signed by the end of the n-th working day after pickup."""
    if not settings.late_receipt_on:
        return []
    causes, due_of = [], {}  # many receipts share a pickup day: its due day is counted once
    for row in rows:
        if row.pickup_day not in due_of:
            days = settings.receipt_working_days
            due_of[row.pickup_day] = add_working_days(row.pickup_day, days, calendar).date
        due = due_of[row.pickup_day]
        if today > due:
            facts = {"manifest_id": row.manifest_id, "due": due.isoformat(),
                     "days": (today - due).days}  # fmt: skip
            causes.append(
                Cause(RuleKey.LATE_RECEIPT, row.receiver_id, f"manifest:{row.manifest_id}",
                      Level.LOW, facts)
            )  # fmt: skip
    return causes


@dataclass(frozen=True)
class Weighed:
    manifest_id: int
    generator_id: int
    declared_kg: int
    weighed_kg: int  # received + rejected


def weight_discrepancies(rows: Iterable[Weighed], settings: Settings) -> list[Cause]:
    """转移: weighed against declared beyond the low bound (low) or the high bound (high);
    a difference of exactly a bound is within it."""
    if not settings.weight_discrepancy_on:
        return []
    causes = []
    for row in rows:
        if row.declared_kg <= 0:
            continue
        relative = abs(Fraction(row.weighed_kg - row.declared_kg, row.declared_kg))
        if relative * 100 > settings.discrepancy_high_pct:
            level = Level.HIGH
        elif relative * 100 > settings.discrepancy_low_pct:
            level = Level.LOW
        else:
            continue
        facts = {"manifest_id": row.manifest_id, "declared_kg": row.declared_kg,
                 "weighed_kg": row.weighed_kg, "pct": round(float(relative * 100), 1)}  # fmt: skip
        causes.append(Cause(RuleKey.WEIGHT_DISCREPANCY, row.generator_id,
                            f"manifest:{row.manifest_id}", level, facts))  # fmt: skip
    return causes


@dataclass(frozen=True)
class Held:
    """From the ledger: the stock of one code an enterprise holds and since when its oldest
    kilogram is held (FIFO)."""

    enterprise_id: int
    code_id: int
    code: str
    closing_kg: int
    oldest_since: date | None
    side: str = ""  # "g" generator, "r" recycler: an enterprise can hold both stocks


def stock_held(rows: Iterable[Held], today: date, settings: Settings) -> list[Cause]:
    """库存: stock held strictly longer than the storage limit. The key carries the day the
    oldest stock came in, so stock cleared and built up again is a new cause."""
    if not settings.stock_held_on:
        return []
    causes = []
    for row in rows:
        if row.closing_kg <= 0 or row.oldest_since is None:
            continue
        days = (today - row.oldest_since).days
        if days > settings.storage_days:
            facts = {
                "code": row.code,
                "kg": row.closing_kg,
                "days": days,
                "since": row.oldest_since.isoformat(),
                "limit": settings.storage_days,
            }
            key = f"stock:{row.side}{row.code_id}:{row.oldest_since.isoformat()}"
            causes.append(Cause(RuleKey.STOCK_HELD, row.enterprise_id, key, Level.MEDIUM, facts))
    return causes  # fmt: skip


@dataclass(frozen=True)
class Throughput:
    enterprise_id: int
    year: int
    received_kg: int
    capacity_kg: int  # licensed per year (the licences valid in that year, summed)


def over_capacity(rows: Iterable[Throughput], settings: Settings) -> list[Cause]:
    """经营: received more in a year than the licences allow (处置能力虚报)."""
    if not settings.over_capacity_on:
        return []
    causes = []
    for row in rows:
        allowed = Fraction(row.capacity_kg * (100 + settings.capacity_margin_pct), 100)
        if row.received_kg > allowed:
            facts = {"year": row.year, "received_kg": row.received_kg,
                     "capacity_kg": row.capacity_kg}  # fmt: skip
            causes.append(Cause(RuleKey.OVER_CAPACITY, row.enterprise_id,
                                f"capacity:{row.year}", Level.HIGH, facts))  # fmt: skip
    return causes


@dataclass(frozen=True)
class Receipt:
    manifest_id: int
    receiver_id: int
    day: date


def expired_licence(
    rows: Iterable[Receipt], licences: Mapping[int, Iterable[tuple[date, date]]],
    settings: Settings,
) -> list[Cause]:  # fmt: skip
    """经营: waste received on a day the receiver held no valid licence."""
    if not settings.expired_licence_on:
        return []
    causes = []
    for row in rows:
        spans = list(licences.get(row.receiver_id, ()))
        if any(start <= row.day <= end for start, end in spans):
            continue
        ended = [end for _start, end in spans if end < row.day]
        facts = {"manifest_id": row.manifest_id, "day": row.day.isoformat(),
                 "expired": max(ended).isoformat() if ended else None}  # fmt: skip
        causes.append(Cause(RuleKey.EXPIRED_LICENCE, row.receiver_id,
                            f"manifest:{row.manifest_id}", Level.HIGH, facts))  # fmt: skip
    return causes


@dataclass(frozen=True)
class Owed:
    """One filing owed: code and period, its due day and the day it was filed (or None)."""

    enterprise_id: int
    code_id: int
    code: str
    period_key: str
    due: date
    filed_on: date | None


def missing_filings(rows: Iterable[Owed], today: date, settings: Settings) -> list[Cause]:
    """申报: a periodic filing past its due day and still not filed."""
    if not settings.missing_filing_on:
        return []
    causes = []
    for row in rows:
        if row.filed_on is None and today > row.due:
            facts = {"code": row.code, "period": row.period_key, "due": row.due.isoformat()}
            key = f"filing:{row.code_id}:{row.period_key}"
            causes.append(Cause(RuleKey.MISSING_FILING, row.enterprise_id, key, Level.LOW, facts))
    return causes


@dataclass(frozen=True)
class Declared:
    """One generator, one code, one year: generation declared and weight shipped."""

    enterprise_id: int
    code_id: int
    code: str
    year: int
    declared_kg: int
    shipped_kg: int


def under_declared(rows: Iterable[Declared], settings: Settings) -> list[Cause]:
    """产生: more shipped than declared generated, beyond the margin."""
    if not settings.under_declared_on:
        return []
    causes = []
    for row in rows:
        allowed = Fraction(row.declared_kg * (100 + settings.declared_margin_pct), 100)
        if row.shipped_kg > allowed:
            facts = {"code": row.code, "year": row.year, "declared_kg": row.declared_kg,
                     "shipped_kg": row.shipped_kg}  # fmt: skip
            key = f"declared:{row.code_id}:{row.year}"
            causes.append(Cause(RuleKey.UNDER_DECLARED, row.enterprise_id, key, Level.MEDIUM,
                                facts))  # fmt: skip
    return causes


@dataclass(frozen=True)
class Series:
    """A generator's latest filing of one code and the ones before it (oldest first)."""

    enterprise_id: int
    code_id: int
    code: str
    filing_id: int
    period_key: str
    latest_kg: int
    history_kg: tuple[int, ...]


def generation_spikes(rows: Iterable[Series], settings: Settings) -> list[Cause]:
    """产生: the latest filing far above the enterprise's own average for the code."""
    if not settings.generation_spike_on:
        return []
    causes = []
    for row in rows:
        history = row.history_kg[-12:]
        if len(history) < settings.spike_min_history or not sum(history):
            continue
        average = Fraction(sum(history), len(history))
        if row.latest_kg * 100 > average * settings.spike_factor_pct:
            facts = {
                "code": row.code,
                "period": row.period_key,
                "kg": row.latest_kg,
                "average_kg": round(float(average)),
                "filing_id": row.filing_id,
            }
            causes.append(
                Cause(
                    RuleKey.GENERATION_SPIKE,
                    row.enterprise_id,
                    f"spike:{row.filing_id}",
                    Level.LOW,
                    facts,
                )
            )
    return causes  # fmt: skip


@dataclass(frozen=True)
class OpenLot:
    listing_id: int
    enterprise_id: int
    title: str
    published_on: date
    bids: int


def lots_without_bids(rows: Iterable[OpenLot], today: date, settings: Settings) -> list[Cause]:
    """转移: a lot open N days or more with no bid (waste that finds no outlet)."""
    if not settings.lot_no_bid_on:
        return []
    causes = []
    for row in rows:
        days = (today - row.published_on).days
        if row.bids == 0 and days >= settings.no_bid_days:
            facts = {"listing_id": row.listing_id, "title": row.title, "days": days}
            causes.append(Cause(RuleKey.LOT_NO_BID, row.enterprise_id, f"lot:{row.listing_id}",
                                Level.LOW, facts))  # fmt: skip
    return causes
