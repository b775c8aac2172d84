"""Reads for the park dashboard: headline figures over a period, the material flow for the
Sankey diagram and the monthly trends. Every figure is one aggregate query on indexed
columns (manifests by park and time, deals by time), so a park with a million manifests
reads it without loading rows."""

from dataclasses import dataclass, field
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
from market.manifests.models import Manifest
from market.manifests.states import STARTED, ManifestStatus
from market.warnings import queries as warning_queries

GRADES = ("A", "B", "C", "D")
TOP_RECEIVERS = 8  # the Sankey's receivers beyond these are one "others" node


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
    rows = db.session.execute(
        db.select(Deal.created_at, SupplyListing.published_at)
        .join(SupplyListing, SupplyListing.id == Deal.supply_listing_id)
        .where(park_deals(park_id), in_period(Deal.created_at, period))
    ).all()
    out.deals = len(rows)
    waits = [(made - published).total_seconds() / 86400 for made, published in rows if published]
    out.median_days = median(waits) if waits else None


def _manifests(out: Figures, park_id: int, period: Period) -> None:
    started, closed = db.session.execute(
        db.select(
            func.count(Manifest.id),
            func.coalesce(
                func.sum(case((Manifest.status == ManifestStatus.CLOSED, 1), else_=0)), 0
            ),
        ).where(started_manifests(park_id, period))
    ).one()
    out.started, out.closed = int(started), int(closed)
    treated = Manifest.treatment.in_(("utilise", "dispose"))
    sums = db.session.execute(
        db.select(
            func.coalesce(func.sum(Manifest.received_kg), 0),
            func.coalesce(
                func.sum(case((Manifest.treatment == "utilise", Manifest.received_kg), else_=0)), 0
            ),
            func.coalesce(func.sum(case((treated, Manifest.received_kg), else_=0)), 0),
        ).where(received_manifests(park_id, period))
    ).one()
    out.received_kg, out.utilised_kg, out.treated_kg = (int(v) for v in sums)  # PG: Decimal


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


def month_of(column):
    """ "YYYY-MM" of a stored UTC time, in Beijing, on either database."""
    if db.session.get_bind().dialect.name == "postgresql":
        local = func.timezone("Asia/Shanghai", func.timezone("UTC", column))
        return func.to_char(local, "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


def trends(park_id: int, period: Period) -> dict:
    """Monthly tonnage received, deals made, manifests started and closed (of those
    started that month), over at least the twelve months up to the period's end."""
    window = trend_window(period)
    labels = months(window.first, window.last)
    series = {key: dict.fromkeys(labels, 0) for key in ("kg", "deals", "started", "closed")}
    month = month_of(Manifest.received_at)
    for m, kg in db.session.execute(
        db.select(month, func.sum(Manifest.received_kg))
        .where(received_manifests(park_id, window))
        .group_by(month)
    ):
        series["kg"][m] = int(kg or 0)
    month = month_of(Deal.created_at)
    for m, n in db.session.execute(
        db.select(month, func.count(Deal.id))
        .where(park_deals(park_id), in_period(Deal.created_at, window))
        .group_by(month)
    ):
        series["deals"][m] = n
    month = month_of(Manifest.submitted_at)
    closed = func.sum(case((Manifest.status == ManifestStatus.CLOSED, 1), else_=0))
    for m, n, c in db.session.execute(
        db.select(month, func.count(Manifest.id), closed)
        .where(started_manifests(park_id, window))
        .group_by(month)
    ):
        series["started"][m], series["closed"][m] = n, int(c or 0)
    return {"months": labels, **{k: [v[m] for m in labels] for k, v in series.items()}}


def flow_rows(park_id: int, period: Period) -> list[tuple]:
    """(industry, class code, class name, treatment, receiver id, receiver, kg) of the
    manifests received in the period, largest first."""
    receiver = db.aliased(Enterprise)
    generator = db.aliased(Enterprise)
    kg = func.sum(Manifest.received_kg)
    keys = (
        generator.industry,
        WasteCode.category_code,
        WasteCode.category_name,
        Manifest.treatment,
        receiver.id,
        receiver.name,
    )
    rows = db.session.execute(
        db.select(*keys, kg)
        .join(generator, generator.id == Manifest.generator_id)
        .join(receiver, receiver.id == Manifest.receiver_id)
        .join(WasteCode, WasteCode.id == Manifest.waste_code_id)
        .where(received_manifests(park_id, period), Manifest.received_kg > 0)
        .group_by(*keys)
        .order_by(kg.desc())
    ).all()
    return [(*row[:-1], int(row[-1])) for row in rows]  # sums are Decimal on PostgreSQL


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
