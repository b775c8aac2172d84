"""Reads for the park dashboard: headline figures over a period, the material flow for the
Sankey diagram and the monthly trends. The manifests' figures come from the monthly flow
summary (`ParkFlowSummary`, kept current by the manifest services) for the whole Beijing
months of a period, and from the manifests themselves (indexed by park and time) for the
days of a month the period covers only in part — or, when fewer, the summary's month less
the manifests of the days outside the period. Other figures are aggregate queries on
indexed columns, so a park with a million manifests reads it without loading rows."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median

from flask_babel import gettext as _
from sqlalchemy import and_, case, func

from market import clock
from market.accounts.models import Enterprise
from market.admin.periods import Period, months, trend_window
from market.catalog.models import WasteCode
from market.credit.models import Evaluation
from market.credit.states import IN_FORCE
from market.deals.models import Deal
from market.deals.states import DealStatus
from market.extensions import db
from market.listings.models import DemandListing, SupplyListing
from market.listings.states import ListingStatus
from market.manifests.flows import month_of
from market.manifests.models import Manifest, ParkFlowSummary
from market.manifests.states import STARTED, ManifestStatus
from market.warnings import queries as warning_queries

GRADES = ("A", "B", "C", "D")
TOP_RECEIVERS = 8  # the Sankey's receivers beyond these are one "others" node
Summary = ParkFlowSummary


@dataclass
class Figures:
    enterprises: int = 0
    roles: dict = field(default_factory=dict)
    open_supply: int = 0
    open_demand: int = 0
    deals: int = 0
    median_days: float | None = None
    received_kg: int = 0
    started: int = 0
    closed: int = 0
    utilised_kg: int = 0
    treated_kg: int = 0
    grades: dict = field(default_factory=dict)
    warnings: dict | None = None

    @property
    def closure_rate(self) -> float | None:
        return self.closed / self.started if self.started else None

    @property
    def utilisation_rate(self) -> float | None:
        return self.utilised_kg / self.treated_kg if self.treated_kg else None


def park_enterprise_ids(park_id: int):
    return db.select(Enterprise.id).where(Enterprise.park_id == park_id).scalar_subquery()


def in_period(column, period: Period):
    return and_(column >= period.starts, column < period.ends)


def park_deals(park_id: int):
    return and_(
        Deal.generator_id.in_(park_enterprise_ids(park_id)), Deal.status != DealStatus.CANCELLED
    )


def started_manifests(park_id: int, period: Period):
    return and_(
        Manifest.park_id == park_id,
        in_period(Manifest.submitted_at, period),
        Manifest.status.in_([s.value for s in STARTED]),
    )


def received_manifests(park_id: int, period: Period):
    return and_(
        Manifest.park_id == park_id,
        in_period(Manifest.received_at, period),
        Manifest.received_kg.is_not(None),
    )


def figures(park_id: int, period: Period) -> Figures:
    out = Figures()
    _enterprises(out, park_id)
    _listings(out, park_id)
    _deals(out, park_id, period)
    _manifests(out, park_id, period)
    out.grades = grade_counts(park_id, out.enterprises)
    out.warnings = warnings_figures(park_id, period)
    return out


def _enterprises(out: Figures, park_id: int) -> None:
    row = db.session.execute(
        db.select(
            func.count(Enterprise.id),
            *(
                func.coalesce(func.sum(case((getattr(Enterprise, f"is_{r}"), 1), else_=0)), 0)
                for r in ("generator", "recycler", "transporter")
            ),
        ).where(Enterprise.park_id == park_id)
    ).one()
    out.enterprises = row[0]
    out.roles = dict(zip(("generator", "recycler", "transporter"), map(int, row[1:]), strict=True))


def _listings(out: Figures, park_id: int) -> None:
    today, ids = clock.today(), park_enterprise_ids(park_id)
    for name, model in (("open_supply", SupplyListing), ("open_demand", DemandListing)):
        n = db.session.scalar(
            db.select(func.count(model.id)).where(
                model.enterprise_id.in_(ids),
                model.status == ListingStatus.OPEN,
                model.available_until >= today,
            )
        )
        setattr(out, name, n or 0)


def _deals(out: Figures, park_id: int, period: Period) -> None:
    where = (park_deals(park_id), in_period(Deal.created_at, period))
    pair = db.select(Deal.created_at, SupplyListing.published_at).join(
        SupplyListing, SupplyListing.id == Deal.supply_listing_id
    )
    if db.session.get_bind().dialect.name != "postgresql":
        rows = db.session.execute(pair.where(*where)).all()
        out.deals = len(rows)
        waits = [_days(made, published) for made, published in rows if published]
        out.median_days = median(waits) if waits else None
        return
    # PostgreSQL counts, orders the waits (exact intervals) and sends only the middle one
    # or two: the same median without a year's deals crossing to Python.
    out.deals, n = db.session.execute(
        db.select(func.count(), func.count(SupplyListing.published_at))
        .select_from(Deal)
        .join(SupplyListing, SupplyListing.id == Deal.supply_listing_id)
        .where(*where)
    ).one()
    if not n:
        out.median_days = None
        return
    middle = db.session.execute(
        pair.where(*where, SupplyListing.published_at.is_not(None))
        .order_by(Deal.created_at - SupplyListing.published_at)
        .offset((n - 1) // 2)
        .limit(1 if n % 2 else 2)
    ).all()
    out.median_days = median(_days(made, published) for made, published in middle)


def _days(made, published) -> float:
    return (made - published).total_seconds() / 86400


def _manifests(out: Figures, park_id: int, period: Period) -> None:
    started = combined(
        park_id, period, Manifest.submitted_at,
        db.select(func.sum(Summary.started), func.sum(Summary.closed)),
        db.select(func.count(Manifest.id), _closed_count()).where(started_manifests_in(park_id)),
    )  # fmt: skip
    out.started, out.closed = started.get((), (0, 0))
    utilised = case((Summary.treatment == "utilise", Summary.received_kg), else_=0)
    treated = case((Summary.treatment.in_(("utilise", "dispose")), Summary.received_kg), else_=0)
    m_treated = Manifest.treatment.in_(("utilise", "dispose"))
    sums = combined(
        park_id, period, Manifest.received_at,
        db.select(func.sum(Summary.received_kg), func.sum(utilised), func.sum(treated)),
        db.select(
            func.sum(Manifest.received_kg),
            func.sum(case((Manifest.treatment == "utilise", Manifest.received_kg), else_=0)),
            func.sum(case((m_treated, Manifest.received_kg), else_=0)),
        ).where(received_manifests_in(park_id)),
    )  # fmt: skip
    out.received_kg, out.utilised_kg, out.treated_kg = sums.get((), (0, 0, 0))


def _closed_count():
    return func.sum(case((Manifest.status == ManifestStatus.CLOSED, 1), else_=0))


def started_manifests_in(park_id: int):
    return and_(Manifest.park_id == park_id, Manifest.status.in_([s.value for s in STARTED]))


def received_manifests_in(park_id: int):
    return and_(Manifest.park_id == park_id, Manifest.received_kg.is_not(None))


# --- the summary and the manifests together ------------------------------------------------


@dataclass
class Plan:
    """How to read a period: the summary's months from `first_month` to `last_month` (none
    if empty), plus (sign, starts, ends) instants of manifests to add or take away."""

    first_month: str | None
    last_month: str | None
    ranges: list = field(default_factory=list)


def _month_bounds(label: str) -> tuple[date, date]:
    first = date(int(label[:4]), int(label[5:]), 1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _weight(first: date, last: date, today: date) -> int:
    """The days of a span that can hold manifests (the future holds none, or nearly)."""
    return max(0, (min(last, today) - first).days + 1)


def plan(period: Period, today: date | None = None) -> Plan:
    """Whole months from the summary; a month the period covers in part from the manifests
    of its days in the period, or — when the days outside are fewer (as for a period ending
    today) — from the summary less the manifests of the days outside."""
    today = today or clock.today()
    summary, ranges = [], []
    for label in months(period.first, period.last):
        first, last = _month_bounds(label)
        inside = (max(first, period.first), min(last, period.last))
        if inside == (first, last):
            summary.append(label)
            continue
        outside = [(first, period.first - timedelta(days=1))] if period.first > first else []
        if period.last < last:
            outside.append((period.last + timedelta(days=1), last))
        if sum(_weight(a, b, today) for a, b in outside) < _weight(*inside, today):
            summary.append(label)
            ranges += [(-1, Period("custom", a, b)) for a, b in outside]
        else:
            ranges.append((1, Period("custom", *inside)))
    return Plan(
        summary[0] if summary else None,
        summary[-1] if summary else None,
        [(sign, p.starts, p.ends) for sign, p in ranges],
    )


def combined(park_id: int, period: Period, column, from_summary, from_manifests, keys=0):
    """{key: values} summed over the period: `from_summary` (a select of ParkFlowSummary;
    its first `keys` columns are the key, the rest sums) over the plan's months, and
    `from_manifests` (the same columns over Manifest) over its ranges of `column`, added or
    taken away. Sums come back as ints (PostgreSQL sums bigints as Decimal)."""
    found = plan(period)
    out: dict[tuple, list[int]] = {}

    def add(rows, sign):
        for row in rows:
            key, values = tuple(row[:keys]), row[keys:]
            have = out.setdefault(key, [0] * len(values))
            for i, v in enumerate(values):
                have[i] += sign * int(v or 0)

    if found.first_month is not None:
        query = from_summary.where(
            Summary.park_id == park_id, Summary.month.between(found.first_month, found.last_month)
        )
        add(db.session.execute(query).all(), 1)
    for sign, starts, ends in found.ranges:
        query = from_manifests.where(column >= starts, column < ends)
        add(db.session.execute(query).all(), sign)
    return {key: tuple(values) for key, values in out.items()}


def grade_counts(park_id: int, enterprises: int) -> dict:
    """Grades in force today over the park's enterprises; the rest are ungraded."""
    rows = db.session.execute(
        db.select(Evaluation.grade, func.count(Evaluation.id))
        .where(
            Evaluation.park_id == park_id,
            Evaluation.status.in_([s.value for s in IN_FORCE]),
            Evaluation.valid_until >= clock.today(),
        )
        .group_by(Evaluation.grade)
    ).all()
    counts = {g: 0 for g in GRADES} | {g: int(n) for g, n in rows}
    counts[None] = max(0, enterprises - sum(counts.values()))
    return counts


def warnings_figures(park_id: int, period: Period) -> dict:
    """Warnings raised in the period: how many are still open and how many closed (by the
    loop or by themselves) — the closure rate is the headline figure (Shandong: 97.4%)."""
    rate = warning_queries.closure_rate(park_id, period.first, period.last)
    return {"open": rate.raised - rate.closed, "closed": rate.closed, "link": None}


def trends(park_id: int, period: Period) -> dict:
    """Monthly tonnage received, deals made, manifests started and closed (of those
    started that month), over at least the twelve months up to the period's end."""
    window = trend_window(period)
    labels = months(window.first, window.last)
    series = {key: dict.fromkeys(labels, 0) for key in ("kg", "deals", "started", "closed")}
    month = month_of(Manifest.received_at)
    received = combined(
        park_id, window, Manifest.received_at,
        db.select(Summary.month, func.sum(Summary.received_kg)).where(Summary.received > 0)
        .group_by(Summary.month),
        db.select(month, func.sum(Manifest.received_kg)).where(received_manifests_in(park_id))
        .group_by(month),
        keys=1,
    )  # fmt: skip
    for (m,), (kg,) in received.items():
        series["kg"][m] = kg
    month = month_of(Deal.created_at)
    for m, n in db.session.execute(
        db.select(month, func.count(Deal.id))
        .where(park_deals(park_id), in_period(Deal.created_at, window))
        .group_by(month)
    ):
        series["deals"][m] = n
    month = month_of(Manifest.submitted_at)
    started = combined(
        park_id, window, Manifest.submitted_at,
        db.select(Summary.month, func.sum(Summary.started), func.sum(Summary.closed))
        .where(Summary.started > 0).group_by(Summary.month),
        db.select(month, func.count(Manifest.id), _closed_count())
        .where(started_manifests_in(park_id)).group_by(month),
        keys=1,
    )  # fmt: skip
    for (m,), (n, c) in started.items():
        series["started"][m], series["closed"][m] = n, c
    return {"months": labels, **{k: [v[m] for m in labels] for k, v in series.items()}}


def flow_rows(park_id: int, period: Period) -> list[tuple]:
    """(industry, class code, class name, treatment, receiver id, receiver, kg) of the
    manifests received in the period, largest first."""
    receiver = db.aliased(Enterprise)
    generator = db.aliased(Enterprise)
    codes = (WasteCode.category_code, WasteCode.category_name)
    summary_keys = (Summary.industry, *codes, func.nullif(Summary.treatment, ""), receiver.id,
                    receiver.name)  # fmt: skip
    manifest_keys = (generator.industry, *codes, Manifest.treatment, receiver.id, receiver.name)
    rows = combined(
        park_id, period, Manifest.received_at,
        db.select(*summary_keys, func.sum(Summary.received_kg))
        .join(receiver, receiver.id == Summary.receiver_id)
        .join(WasteCode, WasteCode.id == Summary.waste_code_id)
        .where(Summary.received_kg > 0)
        .group_by(*summary_keys),
        db.select(*manifest_keys, func.sum(Manifest.received_kg))
        .join(generator, generator.id == Manifest.generator_id)
        .join(receiver, receiver.id == Manifest.receiver_id)
        .join(WasteCode, WasteCode.id == Manifest.waste_code_id)
        .where(received_manifests_in(park_id), Manifest.received_kg > 0)
        .group_by(*manifest_keys),
        keys=len(manifest_keys),
    )  # fmt: skip
    found = [(*key, kg) for key, (kg,) in rows.items() if kg > 0]
    return sorted(found, key=lambda r: (-r[-1], *("" if v is None else str(v) for v in r[:-1])))


def treatment_label(treatment: str | None) -> str:
    return {"utilise": _("Utilised (利用)"), "dispose": _("Disposed (处置)")}.get(
        treatment or "", _("Treatment not stated")
    )


def sankey(rows: list[tuple]) -> dict:
    """Nodes and links, in tonnes: industry → waste class → treatment → receiver. Names are
    prefixed by their level so an industry and a receiver may share a word."""
    by_receiver: dict[str, int] = {}
    for *_rest, name, kg in rows:
        by_receiver[name] = by_receiver.get(name, 0) + kg
    top = set(sorted(by_receiver, key=lambda n: -by_receiver[n])[:TOP_RECEIVERS])
    links: dict[tuple[str, str], int] = {}
    for industry, code, cname, treatment, _rid, name, kg in rows:
        steps = (
            "1|" + (industry or _("Industry not stated")),
            f"2|{code} {cname}",
            "3|" + treatment_label(treatment),
            "4|" + (name if name in top else _("Other receivers")),
        )
        for source, target in zip(steps, steps[1:], strict=False):
            links[(source, target)] = links.get((source, target), 0) + kg
    nodes = sorted({n for pair in links for n in pair})
    return {
        "nodes": [{"name": n} for n in nodes],
        "links": [
            {"source": s, "target": t, "value": round(kg / 1000, 3)}
            for (s, t), kg in sorted(links.items())
        ],
    }
