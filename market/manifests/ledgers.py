"""Ledger queries: filings and closed manifests turned into the pure ledger's rows.

Generators: generated = the filing of the period (its current version); transferred out =
the accepted weight (received_kg) of closed manifests where the enterprise is the generator,
dated by the pickup day in Beijing (the 出厂时间 of HJ 1259 table B.5: waste leaves the
generator's stock when it leaves the gate). Recyclers: received = received_kg of closed
manifests where the enterprise is the receiver, dated by the receipt day; that weight is
utilised or disposed as the receipt says (treatment "utilise" / "dispose") on the same day.
Only filings of the ledger's period kind count; the page says how many of another kind exist.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from market import clock
from market.accounts.models import Enterprise, Role
from market.catalog.models import WasteCode
from market.extensions import db
from market.manifests import filings as filing_services
from market.manifests import periods
from market.manifests.ledger import (
    Filed,
    Flag,
    GeneratorRow,
    Moved,
    RecyclerRow,
    generator_ledger,
    recycler_ledger,
)
from market.manifests.models import Filing, Manifest
from market.manifests.periods import FilingState, Kind, Period

MAX_PERIODS = 400  # about eight years of weeks: a longer window is refused


@dataclass(frozen=True)
class Shipment:
    """A closed manifest as it enters a ledger, with the day it counts on."""

    manifest: Manifest
    day: date

    @property
    def kg(self) -> int:
        return self.manifest.received_kg or 0


@dataclass
class Ledger:
    """Everything the ledger page and the exports show for one enterprise and window."""

    enterprise: Enterprise
    kind: Kind
    periods: tuple[Period, ...]
    codes: dict[int, WasteCode] = field(default_factory=dict)
    generator: dict[int, tuple[GeneratorRow, ...]] = field(default_factory=dict)
    recycler: dict[int, tuple[RecyclerRow, ...]] = field(default_factory=dict)
    filings: list[Filing] = field(default_factory=list)
    shipped: list[Shipment] = field(default_factory=list)
    received: list[Shipment] = field(default_factory=list)
    other_kind_filings: int = 0
    not_yet_due: frozenset[Period] = frozenset()  # a missing filing here is not late yet

    def flags(self, row) -> list[Flag]:
        """The row's flags as shown: "not filed" only once the filing is past its due day."""
        hidden = {Flag.MISSING_FILING} if row.period in self.not_yet_due else set()
        return sorted(set(row.flags) - hidden)

    @property
    def start(self) -> date:
        return self.periods[0].start

    @property
    def end(self) -> date:
        return self.periods[-1].end


def window_periods(kind: Kind, start: date, end: date) -> tuple[Period, ...]:
    found = periods.periods_between(start, end, kind)
    if len(found) > MAX_PERIODS:
        raise ValueError("too many periods")
    return found


def _closed(side, enterprise_id: int) -> list[Manifest]:
    return list(
        db.session.execute(
            db.select(Manifest)
            .where(side == enterprise_id, Manifest.status == "closed")
            .order_by(Manifest.id)
        ).scalars()
    )


def _pickup_day(manifest: Manifest) -> date:
    return clock.business_day(manifest.picked_up_at or manifest.received_at or manifest.closed_at)


def _receipt_day(manifest: Manifest) -> date:
    return clock.business_day(manifest.received_at or manifest.closed_at)


def _span(display: tuple[Period, ...], earliest: date | None) -> tuple[Period, ...]:
    """The display periods, preceded by every period back to the earliest movement, so the
    first displayed opening stock carries everything before it."""
    if earliest is None or earliest >= display[0].start:
        return display
    return periods.periods_between(earliest, display[-1].end, display[0].kind)


def _generator_code(display, filed: list[Filing], shipped: list[Shipment]):
    days = [f.period_start for f in filed] + [s.day for s in shipped]
    span = _span(display, min(days) if days else None)
    inside = [s for s in shipped if s.day <= span[-1].end]
    rows = generator_ledger(
        span,
        [Filed(periods.parse(f.period_key), f.generated_kg, f.id) for f in filed
         if f.period_end <= span[-1].end],
        [Moved(s.day, s.kg, s.manifest.id) for s in inside],
    )  # fmt: skip
    return rows[len(span) - len(display) :]


def _recycler_code(display, received: list[Shipment]):
    span = _span(display, min((s.day for s in received), default=None))
    inside = [s for s in received if s.day <= span[-1].end]
    moved = {
        kind: [Moved(s.day, s.kg, s.manifest.id) for s in inside if s.manifest.treatment == kind]
        for kind in ("utilise", "dispose")
    }
    rows = recycler_ledger(
        span, [Moved(s.day, s.kg, s.manifest.id) for s in inside], moved["utilise"],
        moved["dispose"],
    )  # fmt: skip
    return rows[len(span) - len(display) :]


def _by_code(items, code_of) -> dict[int, list]:
    grouped = defaultdict(list)
    for item in items:
        grouped[code_of(item)].append(item)
    return grouped


def ledger_for(enterprise: Enterprise, kind: Kind, start: date, end: date) -> Ledger:
    """The generator and recycler ledgers of one enterprise, per code, for the window."""
    display = window_periods(kind, start, end)
    rules, today = filing_services.due_rules(enterprise.park_id), clock.today()
    book = Ledger(enterprise, kind, display)
    book.not_yet_due = frozenset(p for p in display if periods.due_date(p, rules) >= today)
    if enterprise.has_role(Role.GENERATOR):
        _fill_generator(book)
    if enterprise.has_role(Role.RECYCLER):
        _fill_recycler(book)
    return book


def _fill_generator(book: Ledger) -> None:
    enterprise, display = book.enterprise, book.periods
    all_filings = list(
        db.session.execute(
            db.select(Filing).filter_by(enterprise_id=enterprise.id).order_by(Filing.period_start)
        ).scalars()
    )
    tier = filing_services.TIER_OF[book.kind]
    same_kind = [f for f in all_filings if f.period_kind == tier]
    book.other_kind_filings = sum(
        1 for f in all_filings if f.period_kind != tier and f.period_end >= book.start
    )
    shipped = [Shipment(m, _pickup_day(m)) for m in _closed(Manifest.generator_id, enterprise.id)]
    codes = filing_services.codes_by_enterprise([enterprise.id])[enterprise.id]
    book.codes.update(codes)
    filed_by, shipped_by = (
        _by_code(same_kind, lambda f: f.waste_code_id),
        _by_code(shipped, lambda s: s.manifest.waste_code_id),
    )
    for code_id in codes:
        book.generator[code_id] = _generator_code(
            display, filed_by.get(code_id, []), shipped_by.get(code_id, [])
        )
    book.filings = [f for f in same_kind if book.start <= f.period_start <= book.end]
    book.shipped = [s for s in shipped if book.start <= s.day <= book.end]


def _fill_recycler(book: Ledger) -> None:
    received = [
        Shipment(m, _receipt_day(m)) for m in _closed(Manifest.receiver_id, book.enterprise.id)
    ]
    for code_id, items in sorted(_by_code(received, lambda s: s.manifest.waste_code_id).items()):
        book.codes.setdefault(code_id, items[0].manifest.waste_code)
        book.recycler[code_id] = _recycler_code(book.periods, items)
    book.received = [s for s in received if book.start <= s.day <= book.end]


@dataclass(frozen=True)
class EnterpriseStatus:
    enterprise: Enterprise
    counts: dict[str, int]  # due, on_time, late, missing, pending

    @property
    def problems(self) -> int:
        return self.counts["late"] + self.counts["missing"]


def park_status(park_id: int, window: tuple[date, date]) -> list[EnterpriseStatus]:
    """For every generator of the park: filings due in the window and how they stand."""
    from market.manifests.models import FilingTier

    enterprises = list(
        db.session.execute(
            db.select(Enterprise)
            .where(Enterprise.park_id == park_id, Enterprise.is_generator.is_(True))
            .order_by(Enterprise.name)
        ).scalars()
    )
    ids = [e.id for e in enterprises]
    tiers = _by_code(
        db.session.execute(
            db.select(FilingTier).where(FilingTier.enterprise_id.in_(ids))
        ).scalars(),
        lambda t: t.enterprise_id,
    )
    filed = _by_code(
        db.session.execute(db.select(Filing).where(Filing.enterprise_id.in_(ids))).scalars(),
        lambda f: f.enterprise_id,
    )
    codes = filing_services.codes_by_enterprise(ids)
    rules, today = filing_services.due_rules(park_id), clock.today()
    result = []
    for e in enterprises:
        mine = {(f.waste_code_id, f.period_key): f for f in filed.get(e.id, [])}
        rows = filing_services.status_rows(
            filing_services.tiers_from(e, tiers.get(e.id, [])), codes[e.id], mine, window,
            rules, today,
        )  # fmt: skip
        result.append(EnterpriseStatus(e, _count(rows)))
    return result


def _count(rows) -> dict[str, int]:
    states = [row.state for row in rows]
    return {
        "due": len(rows),
        "on_time": states.count(FilingState.ON_TIME),
        "late": states.count(FilingState.LATE),
        "missing": states.count(FilingState.MISSING),
        "pending": states.count(FilingState.NOT_DUE),
    }
