"""Feeding the warning rules from the database: one function per rule turns a park's rows
into the plain values `market.warnings.rules` judges. Rows belong to the park of the
enterprise that answers for them (the receiver, the generator).

Set-based: each input comes from a few grouped queries over the whole park, never from a
loop over its enterprises, so a run costs the same handful of statements for a park of ten
enterprises or of a million manifests (bench/warnings.py). The stock ledgers are fed with
weights summed per enterprise, code and day (or month, where the ledger only uses a
period's total): the FIFO ageing of `market.manifests.ledger` gives the same closing stock
and the same oldest day for summed movements as for the single manifests. Beijing days are
computed in SQL as UTC + 8 hours (China has kept no daylight saving since 1991). Where
the data alone decides that a row can never be flagged, whatever the settings (a weight
equal to the declared one, a receipt on a day the receiver held a licence), the query
leaves it out (`FLAGGABLE` names those rows).
`feed_reference` computes the same inputs enterprise by enterprise; a test holds the two to
the same answers (tests/integration/test_warning_feed.py).
"""

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import Date, Interval, case, cast, func, literal_column

from market import clock
from market.accounts.models import Enterprise, Licence
from market.catalog.models import WasteCode
from market.extensions import db
from market.listings.models import Bid, SupplyListing
from market.manifests import checks, periods
from market.manifests import filings as filing_services
from market.manifests.ledger import Filed, Moved, generator_ledger, recycler_ledger
from market.manifests.models import Filing, FilingTier, Manifest
from market.manifests.periods import Kind
from market.warnings import rules
from market.warnings.rules import Cause, RuleKey, Settings

RECENT_DAYS = 120  # closed manifests looked at again for weights and licences
FILING_WINDOW_DAYS = 400  # filings owed over about a year (a yearly tier's due day included)
MONTHLY = filing_services.TIER_OF[Kind.MONTH]
TREATED = ("utilise", "dispose")


# ---- SQL helpers -------------------------------------------------------------------------


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _day_sql(column):
    """The Beijing day of a stored (naive UTC) instant."""
    if _postgres():
        return cast(column + literal_column("interval '8 hours'", Interval), Date)
    return func.date(column, "+8 hours")


def _month_sql(column):
    """The first day of the Beijing month of a stored instant."""
    if _postgres():
        shifted = column + literal_column("interval '8 hours'", Interval)
        return cast(func.date_trunc("month", shifted), Date)
    return func.strftime("%Y-%m-01", column, "+8 hours")


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _midnight(day: date) -> datetime:
    """The instant a Beijing day begins (business_day(x) >= day ⟺ x >= _midnight(day))."""
    return datetime.combine(day, time(), tzinfo=clock.BEIJING)


def _park_enterprises(park_id: int):
    return db.select(Enterprise.id).where(Enterprise.park_id == park_id)


def _generators(park_id: int):
    return _park_enterprises(park_id).where(Enterprise.is_generator.is_(True))


def _in_park(column, park_id: int):
    return column.in_(_park_enterprises(park_id))


def _code_names(code_ids) -> dict[int, str]:
    return dict(db.session.execute(
        db.select(WasteCode.id, WasteCode.code).where(WasteCode.id.in_(set(code_ids)))
    ).all())  # fmt: skip


def _since_recent(today: date) -> datetime:
    return clock.now() - timedelta(days=RECENT_DAYS + (clock.today() - today).days)


# ---- the rules' inputs -------------------------------------------------------------------


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
    rows = db.session.execute(
        db.select(Manifest.id, Manifest.generator_id, Manifest.declared_kg,
                  Manifest.received_kg, Manifest.rejected_kg)
        .where(Manifest.status == "closed", _in_park(Manifest.generator_id, park_id),
               Manifest.received_at >= _since_recent(today),
               Manifest.declared_kg > 0,  # only a weight off the declared one can be flagged
               func.coalesce(Manifest.received_kg, 0) + Manifest.rejected_kg
               != Manifest.declared_kg)
        .order_by(Manifest.id)
    )  # fmt: skip
    return ([rules.Weighed(i, g, declared, (got or 0) + rejected)
             for i, g, declared, got, rejected in rows],)  # fmt: skip


def _spans(enterprise_ids) -> dict[int, list[tuple[date, date]]]:
    spans: dict[int, list[tuple[date, date]]] = defaultdict(list)
    rows = db.session.execute(
        db.select(Licence.enterprise_id, Licence.valid_from, Licence.valid_until)
        .where(Licence.enterprise_id.in_(enterprise_ids)).order_by(Licence.id)
    )  # fmt: skip
    for enterprise_id, start, end in rows:
        spans[enterprise_id].append((start, end))
    return dict(spans)


def expired_licence(park_id: int, today: date) -> tuple:
    day = _day_sql(func.coalesce(Manifest.received_at, Manifest.closed_at))
    licensed = db.select(Licence.id).where(  # only a receipt on an unlicensed day is flagged
        Licence.enterprise_id == Manifest.receiver_id, Licence.valid_from <= day,
        Licence.valid_until >= day,
    )  # fmt: skip
    rows = db.session.execute(
        db.select(Manifest.id, Manifest.receiver_id, Manifest.received_at, Manifest.closed_at)
        .where(Manifest.status == "closed", _in_park(Manifest.receiver_id, park_id),
               Manifest.received_at >= _since_recent(today), ~licensed.exists())
        .order_by(Manifest.id)
    )  # fmt: skip
    receipts = [rules.Receipt(i, r, clock.business_day(got or closed))
                for i, r, got, closed in rows]  # fmt: skip
    spans = _spans({r.receiver_id for r in receipts}) if receipts else {}
    return receipts, spans


def over_capacity(park_id: int, today: date) -> tuple:
    start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    received = dict(db.session.execute(
        db.select(Manifest.receiver_id, func.sum(func.coalesce(Manifest.received_kg, 0)))
        .where(Manifest.status == "closed", _in_park(Manifest.receiver_id, park_id),
               Manifest.received_at >= clock.now() - timedelta(days=400),
               Manifest.received_at >= _midnight(start),
               Manifest.received_at < _midnight(end + timedelta(days=1)))
        .group_by(Manifest.receiver_id)
    ).all())  # fmt: skip
    capacity = dict(db.session.execute(
        db.select(Licence.enterprise_id, func.sum(Licence.capacity_kg_per_year))
        .join(Enterprise, Enterprise.id == Licence.enterprise_id)
        .where(Enterprise.park_id == park_id, Enterprise.is_recycler.is_(True),
               Licence.valid_from <= end, Licence.valid_until >= start)
        .group_by(Licence.enterprise_id)
    ).all())  # fmt: skip
    rows = [rules.Throughput(e, today.year, int(received[e]), int(capacity[e]))
            for e in sorted(capacity) if capacity[e] and received.get(e)]  # fmt: skip
    return (rows,)


def _codes_dealt(park_id: int) -> dict[int, set[int]]:
    """The codes each generator of the park deals in: filed, offered in a published listing
    or shipped (as `filings.codes_by_enterprise` says, for the whole park at once)."""
    generators = _generators(park_id)
    sources = (
        db.select(Filing.enterprise_id, Filing.waste_code_id),
        db.select(SupplyListing.enterprise_id, SupplyListing.waste_code_id).where(
            SupplyListing.status != "draft"
        ),
        db.select(Manifest.generator_id, Manifest.waste_code_id),
    )
    found: dict[int, set[int]] = defaultdict(set)
    for query in sources:
        owner = query.selected_columns[0]
        for eid, code_id in db.session.execute(query.where(owner.in_(generators)).distinct()):
            found[eid].add(code_id)
    return found


def _fifo_periods(earliest: date | None, today: date) -> tuple[periods.Period, ...]:
    """The ledger's months: the current one, preceded by every month back to the earliest
    movement (as `ledgers.ledger_for` spans them)."""
    first = today.replace(day=1)
    if earliest is not None and earliest < first:
        first = earliest.replace(day=1)
    return _months(first, today)


@lru_cache(maxsize=256)
def _months(first: date, today: date) -> tuple[periods.Period, ...]:
    """Every month from the one of `first` to the one of `today` (period arithmetic is pure
    and the same few spans serve every enterprise and code)."""
    return periods.periods_between(first, today, Kind.MONTH)


_parse = lru_cache(maxsize=4096)(periods.parse)


def _generator_stock(park_id: int, today: date, names: dict[int, str]) -> list[rules.Held]:
    month_end = periods.periods_between(today, today, Kind.MONTH)[-1].end
    filed: dict[tuple[int, int], list[Filed]] = defaultdict(list)
    for f_id, e, c, key, kg in db.session.execute(
        db.select(Filing.id, Filing.enterprise_id, Filing.waste_code_id, Filing.period_key,
                  Filing.generated_kg)
        .where(Filing.enterprise_id.in_(_generators(park_id)), Filing.period_kind == MONTHLY)
    ):  # fmt: skip
        filed[(e, c)].append(Filed(_parse(key), kg, f_id))
    month = _month_sql(func.coalesce(Manifest.picked_up_at, Manifest.received_at,
                                     Manifest.closed_at))  # fmt: skip
    shipped: dict[tuple[int, int], list[Moved]] = defaultdict(list)
    for n, (e, c, start, kg) in enumerate(db.session.execute(
        db.select(Manifest.generator_id, Manifest.waste_code_id, month,
                  func.sum(func.coalesce(Manifest.received_kg, 0)))
        .where(Manifest.status == "closed", Manifest.generator_id.in_(_generators(park_id)))
        .group_by(Manifest.generator_id, Manifest.waste_code_id, month)
    )):  # fmt: skip
        shipped[(e, c)].append(Moved(_as_date(start), int(kg), n))  # a month's total
    held = []
    for e, codes in sorted(_codes_dealt(park_id).items()):
        for c in sorted(codes, key=lambda c: names[c]):
            ins, outs = filed.get((e, c), []), shipped.get((e, c), [])
            days = [f.period.start for f in ins] + [m.day for m in outs]
            span = _fifo_periods(min(days) if days else None, today)
            last = generator_ledger(
                span, [f for f in ins if f.period.end <= month_end],
                [m for m in outs if m.day <= span[-1].end],
            )[-1]  # fmt: skip
            held.append(rules.Held(e, c, names[c], last.closing_kg, last.oldest_since, "g"))
    return held


def _recycler_stock(park_id: int, today: date, names: dict[int, str]) -> list[rules.Held]:
    day = _day_sql(func.coalesce(Manifest.received_at, Manifest.closed_at))
    kg = func.coalesce(Manifest.received_kg, 0)
    came: dict[tuple[int, int], list[Moved]] = defaultdict(list)
    went: dict[tuple[int, int], list[Moved]] = defaultdict(list)
    recyclers = _park_enterprises(park_id).where(Enterprise.is_recycler.is_(True))
    for n, (e, c, on, total, treated) in enumerate(db.session.execute(
        db.select(Manifest.receiver_id, Manifest.waste_code_id, day, func.sum(kg),
                  func.sum(case((Manifest.treatment.in_(TREATED), kg), else_=0)))
        .where(Manifest.status == "closed", Manifest.receiver_id.in_(recyclers))
        .group_by(Manifest.receiver_id, Manifest.waste_code_id, day)
    )):  # fmt: skip
        on = _as_date(on)
        came[(e, c)].append(Moved(on, int(total), n))
        went[(e, c)].append(Moved(on, int(treated), n))  # treated on the day received
    held = []
    for (e, c), ins in sorted(came.items()):
        span = _fifo_periods(min(m.day for m in ins), today)
        end = span[-1].end
        last = recycler_ledger(
            span, [m for m in ins if m.day <= end], [m for m in went[(e, c)] if m.day <= end], []
        )[-1]
        held.append(rules.Held(e, c, names[c], last.closing_kg, last.oldest_since, "r"))
    return held


def stock_held(park_id: int, today: date) -> tuple:
    names = dict(db.session.execute(db.select(WasteCode.id, WasteCode.code)).all())
    return (_generator_stock(park_id, today, names) + _recycler_stock(park_id, today, names),)


def missing_filing(park_id: int, today: date) -> tuple:
    window = (today - timedelta(days=FILING_WINDOW_DAYS), today)
    generators = list(db.session.execute(
        db.select(Enterprise).where(Enterprise.id.in_(_generators(park_id)))
        .order_by(Enterprise.id)
    ).scalars())  # fmt: skip
    tiers: dict[int, list[FilingTier]] = defaultdict(list)
    for tier in db.session.execute(
        db.select(FilingTier).where(FilingTier.enterprise_id.in_(_generators(park_id)))
    ).scalars():  # fmt: skip
        tiers[tier.enterprise_id].append(tier)
    filed_on = {
        (e, c, key): on
        for e, c, key, on in db.session.execute(
            db.select(Filing.enterprise_id, Filing.waste_code_id, Filing.period_key,
                      Filing.filed_on).where(Filing.enterprise_id.in_(_generators(park_id)))
        )
    }  # fmt: skip
    dealt = _codes_dealt(park_id)
    names = _code_names(set().union(*dealt.values())) if dealt else {}
    due_rules = filing_services.due_rules(park_id)
    owed, owing = [], {}  # periods owed per set of tiers: most generators share theirs
    for enterprise in generators:
        codes = sorted(dealt.get(enterprise.id, ()), key=lambda c: names[c])
        mine = tuple(filing_services.tiers_from(enterprise, tiers.get(enterprise.id, [])))
        if mine not in owing:
            owing[mine] = [(period, periods.due_date(period, due_rules))
                           for period in periods.periods_due(mine, *window, due_rules)]  # fmt: skip
        for period, due in owing[mine]:
            for c in codes:
                owed.append(rules.Owed(enterprise.id, c, names[c], period.key, due,
                                       filed_on.get((enterprise.id, c, period.key))))  # fmt: skip
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
    declared = {(e, c): kg for e, c, kg in db.session.execute(
        db.select(Filing.enterprise_id, Filing.waste_code_id, func.sum(Filing.generated_kg))
        .where(Filing.enterprise_id.in_(_generators(park_id)), Filing.period_start >= start,
               Filing.period_end <= cutoff)
        .group_by(Filing.enterprise_id, Filing.waste_code_id)
    )}  # fmt: skip
    left = func.coalesce(Manifest.picked_up_at, Manifest.received_at, Manifest.closed_at)
    shipped = db.session.execute(
        db.select(Manifest.generator_id, Manifest.waste_code_id,
                  func.sum(func.coalesce(Manifest.received_kg, 0)))
        .where(Manifest.status == "closed", Manifest.generator_id.in_(_generators(park_id)),
               left >= _midnight(start), left < _midnight(cutoff + timedelta(days=1)))
        .group_by(Manifest.generator_id, Manifest.waste_code_id)
    ).all()  # fmt: skip
    names = _code_names(c for _e, c, _kg in shipped)
    rows = [
        rules.Declared(e, c, names[c], cutoff.year, int(declared.get((e, c), 0)), int(kg))
        for e, c, kg in sorted(shipped)
    ]
    return (rows,)


def generation_spike(park_id: int, today: date) -> tuple:
    series: dict[tuple[int, int, str], list[tuple]] = defaultdict(list)
    for row in db.session.execute(
        db.select(Filing.enterprise_id, Filing.waste_code_id, Filing.period_kind,
                  WasteCode.code, Filing.id, Filing.period_key, Filing.generated_kg)
        .join(WasteCode, WasteCode.id == Filing.waste_code_id)
        .where(Filing.enterprise_id.in_(_generators(park_id)))
        .order_by(Filing.period_start, Filing.id)
    ):  # fmt: skip
        series[row[:3]].append(row)
    rows = []
    for filed in series.values():
        e, c, _kind, code, f_id, key, kg = filed[-1]
        rows.append(rules.Series(e, c, code, f_id, key, kg, tuple(f[-1] for f in filed[:-1])))
    return (rows,)


def lot_no_bid(park_id: int, today: date) -> tuple:
    rows = db.session.execute(
        db.select(SupplyListing.id, SupplyListing.enterprise_id, SupplyListing.title,
                  SupplyListing.published_at, func.count(Bid.id))
        .outerjoin(Bid, Bid.supply_listing_id == SupplyListing.id)
        .where(SupplyListing.status == "open", SupplyListing.published_at.is_not(None),
               _in_park(SupplyListing.enterprise_id, park_id))
        .group_by(SupplyListing.id)
    )  # fmt: skip
    return ([rules.OpenLot(i, e, t, clock.business_day(at), n) for i, e, t, at, n in rows],)


Inputs = Callable[[int, date], tuple]

INPUTS: Mapping[RuleKey, Inputs] = {
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

#: each rule applied to its inputs (the arguments an INPUTS function returns)
JUDGES: Mapping[RuleKey, Callable[[tuple, date, Settings], list[Cause]]] = {
    RuleKey.LATE_RECEIPT: lambda a, today, s: rules.late_receipts(a[0], today, a[1], s),
    RuleKey.WEIGHT_DISCREPANCY: lambda a, today, s: rules.weight_discrepancies(a[0], s),
    RuleKey.STOCK_HELD: lambda a, today, s: rules.stock_held(a[0], today, s),
    RuleKey.OVER_CAPACITY: lambda a, today, s: rules.over_capacity(a[0], s),
    RuleKey.EXPIRED_LICENCE: lambda a, today, s: rules.expired_licence(a[0], a[1], s),
    RuleKey.MISSING_FILING: lambda a, today, s: rules.missing_filings(a[0], today, s),
    RuleKey.UNDER_DECLARED: lambda a, today, s: rules.under_declared(a[0], s),
    RuleKey.GENERATION_SPIKE: lambda a, today, s: rules.generation_spikes(a[0], s),
    RuleKey.LOT_NO_BID: lambda a, today, s: rules.lots_without_bids(a[0], today, s),
}


def _weight_off(row: rules.Weighed, inputs: tuple) -> bool:
    return row.declared_kg > 0 and row.weighed_kg != row.declared_kg


def _unlicensed(row: rules.Receipt, inputs: tuple) -> bool:
    return not any(start <= row.day <= end for start, end in inputs[1].get(row.receiver_id, ()))


#: rows a rule can flag under some settings; the feed above leaves out the others
FLAGGABLE = {RuleKey.WEIGHT_DISCREPANCY: _weight_off, RuleKey.EXPIRED_LICENCE: _unlicensed}


def normalised(rule: RuleKey, inputs: tuple) -> tuple:
    """A rule's inputs in a canonical order, to compare two feeds: the rows the rule can
    flag under some settings (FLAGGABLE), sorted; the licence spans of their receivers,
    sorted."""
    keep = FLAGGABLE.get(rule, lambda row, inputs: True)
    rows = tuple(sorted((row for row in inputs[0] if keep(row, inputs)), key=repr))
    if rule == RuleKey.EXPIRED_LICENCE:
        receivers = {row.receiver_id for row in rows}
        spans = {e: tuple(sorted(s)) for e, s in inputs[1].items() if e in receivers}
        return rows, tuple(sorted(spans.items()))
    return (rows, *inputs[1:])


def causes(
    park_id: int, today: date, settings: Settings, inputs: Mapping[RuleKey, Inputs] = INPUTS
) -> dict[RuleKey, list[Cause]]:
    """Every rule that is on, with the causes it finds today."""
    return {
        rule: JUDGES[rule](fetch(park_id, today), today, settings)
        for rule, fetch in inputs.items()
        if settings.is_on(rule)
    }
