"""The warning rules' inputs computed enterprise by enterprise, the obvious way: ledgers
built per enterprise (`market.manifests.ledgers.ledger_for`), filing status per generator,
whole manifest rows loaded. The run used this feed before `market.warnings.feed`
computed the same inputs with grouped queries over the park; it stays as the reference
the set-based feed is checked against (tests/integration/test_warning_feed.py) and as the
baseline of `bench/warnings.py`. Not used by the run.

Each function returns the arguments of one rule (see `feed.INPUTS`)."""

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import func

from market import clock
from market.accounts.models import Enterprise, Licence, Role
from market.extensions import db
from market.listings.models import Bid, SupplyListing
from market.manifests import checks, ledgers
from market.manifests import filings as filing_services
from market.manifests.models import Filing, Manifest
from market.manifests.periods import Kind
from market.warnings import rules
from market.warnings.feed import normalised  # noqa: F401  (the bench compares with it)
from market.warnings.rules import RuleKey

RECENT_DAYS = 120  # closed manifests looked at again for weights and licences
FILING_WINDOW_DAYS = 400  # filings owed over about a year (a yearly tier's due day included)


def _enterprises(park_id: int, role: Role | None = None) -> list[Enterprise]:
    query = db.select(Enterprise).filter_by(park_id=park_id).order_by(Enterprise.id)
    if role is not None:
        query = query.where(getattr(Enterprise, f"is_{role.value}").is_(True))
    return list(db.session.execute(query).scalars())


def _in_park(column, park_id: int):
    return column.in_(db.select(Enterprise.id).where(Enterprise.park_id == park_id))


def _recent_closed(park_id: int, side, today: date) -> list[Manifest]:
    since = clock.now() - timedelta(days=RECENT_DAYS + (clock.today() - today).days)
    return list(
        db.session.execute(
            db.select(Manifest)
            .where(Manifest.status == "closed", _in_park(side, park_id),
                   Manifest.received_at >= since)
            .order_by(Manifest.id)
        ).scalars()
    )  # fmt: skip


def late_receipt(park_id: int, today: date) -> tuple:
    rows = db.session.execute(
        db.select(Manifest.id, Manifest.receiver_id, Manifest.picked_up_at).where(
            Manifest.status == "in_transit",
            Manifest.picked_up_at.is_not(None),
            _in_park(Manifest.receiver_id, park_id),
        )
    )
    transits = [rules.Transit(i, r, clock.business_day(at)) for i, r, at in rows]
    return transits, checks.calendar(park_id)


def weight_discrepancy(park_id: int, today: date) -> tuple:
    weighed = [
        rules.Weighed(m.id, m.generator_id, m.declared_kg, (m.received_kg or 0) + m.rejected_kg)
        for m in _recent_closed(park_id, Manifest.generator_id, today)
    ]
    return (weighed,)


def _licences(enterprise_ids) -> dict[int, list[Licence]]:
    found = defaultdict(list)
    rows = db.session.execute(db.select(Licence).where(Licence.enterprise_id.in_(enterprise_ids)))
    for licence in rows.scalars():
        found[licence.enterprise_id].append(licence)
    return found


def expired_licence(park_id: int, today: date) -> tuple:
    closed = _recent_closed(park_id, Manifest.receiver_id, today)
    receipts = [
        rules.Receipt(m.id, m.receiver_id, clock.business_day(m.received_at or m.closed_at))
        for m in closed
    ]
    licences = _licences({m.receiver_id for m in closed})
    spans = {e: [(lic.valid_from, lic.valid_until) for lic in rows] for e, rows in licences.items()}
    return receipts, spans


def over_capacity(park_id: int, today: date) -> tuple:
    recyclers = _enterprises(park_id, Role.RECYCLER)
    start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    exact = _received_in_year(park_id, today.year) if recyclers else {}
    licences = _licences([e.id for e in recyclers])
    rows = []
    for enterprise in recyclers:
        capacity = sum(lic.capacity_kg_per_year for lic in licences.get(enterprise.id, [])
                       if lic.valid_from <= end and lic.valid_until >= start)  # fmt: skip
        if capacity and exact.get(enterprise.id):
            rows.append(rules.Throughput(enterprise.id, today.year, exact[enterprise.id], capacity))
    return (rows,)


def _received_in_year(park_id: int, year: int) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    rows = db.session.execute(
        db.select(Manifest.receiver_id, Manifest.received_kg, Manifest.received_at).where(
            Manifest.status == "closed", _in_park(Manifest.receiver_id, park_id),
            Manifest.received_at >= clock.now() - timedelta(days=400),
        )
    )  # fmt: skip
    for receiver, kg, at in rows:
        if at is not None and clock.business_day(at).year == year:
            totals[receiver] += kg or 0
    return totals


def stock_held(park_id: int, today: date) -> tuple:
    held = []
    start = today.replace(day=1)
    for enterprise in _enterprises(park_id):
        if not (enterprise.is_generator or enterprise.is_recycler):
            continue
        book = ledgers.ledger_for(enterprise, Kind.MONTH, start, today)
        for side, rows_by_code in (("g", book.generator), ("r", book.recycler)):
            for code_id, rows in rows_by_code.items():
                if rows:
                    last, code = rows[-1], book.codes[code_id]
                    held.append(rules.Held(enterprise.id, code_id, code.code, last.closing_kg,
                                           last.oldest_since, side))  # fmt: skip
    return (held,)


def missing_filing(park_id: int, today: date) -> tuple:
    owed = []
    window = (today - timedelta(days=FILING_WINDOW_DAYS), today)
    for enterprise in _enterprises(park_id, Role.GENERATOR):
        for row in filing_services.filing_status(enterprise, window):
            filed_on = row.filing.filed_on if row.filing else None
            owed.append(rules.Owed(enterprise.id, row.code.id, row.code.code, row.period.key,
                                   row.due, filed_on))  # fmt: skip
    return (owed,)


def _last_filed_month_end(today: date) -> date:
    """Shipments are compared with filings up to the end of the last month whose filing is
    due (months are due about two weeks after they end), so a month not yet filed in time
    does not look under-declared."""
    month_start = (today - timedelta(days=15)).replace(day=1)
    return month_start - timedelta(days=1)


def under_declared(park_id: int, today: date) -> tuple:
    cutoff = _last_filed_month_end(today)
    start = date(cutoff.year, 1, 1)
    generators = {e.id for e in _enterprises(park_id, Role.GENERATOR)}
    declared: dict[tuple[int, int], int] = defaultdict(int)
    for f in db.session.execute(
        db.select(Filing).where(Filing.enterprise_id.in_(generators),
                                Filing.period_start >= start, Filing.period_end <= cutoff)
    ).scalars():  # fmt: skip
        declared[(f.enterprise_id, f.waste_code_id)] += f.generated_kg
    shipped: dict[tuple[int, int], int] = defaultdict(int)
    codes = {}
    for m in db.session.execute(
        db.select(Manifest).where(Manifest.status == "closed",
                                  Manifest.generator_id.in_(generators))
    ).scalars():  # fmt: skip
        day = clock.business_day(m.picked_up_at or m.received_at or m.closed_at)
        if start <= day <= cutoff:
            shipped[(m.generator_id, m.waste_code_id)] += m.received_kg or 0
            codes[m.waste_code_id] = m.waste_code.code
    rows = [
        rules.Declared(e, c, codes[c], cutoff.year, declared.get((e, c), 0), kg)
        for (e, c), kg in sorted(shipped.items())
    ]
    return (rows,)


def generation_spike(park_id: int, today: date) -> tuple:
    generators = [e.id for e in _enterprises(park_id, Role.GENERATOR)]
    series: dict[tuple[int, int, str], list[Filing]] = defaultdict(list)
    for f in db.session.execute(
        db.select(Filing).where(Filing.enterprise_id.in_(generators))
        .order_by(Filing.period_start, Filing.id)
    ).scalars():  # fmt: skip
        series[(f.enterprise_id, f.waste_code_id, f.period_kind)].append(f)
    rows = []
    for filed in series.values():
        latest = filed[-1]
        rows.append(rules.Series(latest.enterprise_id, latest.waste_code_id,
                                 latest.waste_code.code, latest.id, latest.period_key,
                                 latest.generated_kg,
                                 tuple(f.generated_kg for f in filed[:-1])))  # fmt: skip
    return (rows,)


def lot_no_bid(park_id: int, today: date) -> tuple:
    bids = db.select(func.count(Bid.id)).where(Bid.supply_listing_id == SupplyListing.id)
    rows = db.session.execute(
        db.select(SupplyListing.id, SupplyListing.enterprise_id, SupplyListing.title,
                  SupplyListing.published_at, bids.scalar_subquery())
        .where(SupplyListing.status == "open", SupplyListing.published_at.is_not(None),
               _in_park(SupplyListing.enterprise_id, park_id))
    )  # fmt: skip
    lots = [rules.OpenLot(i, e, t, clock.business_day(at), n) for i, e, t, at, n in rows]
    return (lots,)


INPUTS = {
    RuleKey.LATE_RECEIPT: late_receipt,
    RuleKey.WEIGHT_DISCREPANCY: weight_discrepancy,
    RuleKey.STOCK_HELD: stock_held,
    RuleKey.OVER_CAPACITY: over_capacity,
    RuleKey.EXPIRED_LICENCE: expired_licence,
    RuleKey.MISSING_FILING: missing_filing,
    RuleKey.UNDER_DECLARED: under_declared,
    RuleKey.GENERATION_SPIKE: generation_spike,
    RuleKey.LOT_NO_BID: lot_no_bid,
}
