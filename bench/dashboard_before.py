"""The park dashboard's manifest reads as they were before the monthly flow summary
(commit 4dd3cb0): aggregates over the manifests themselves. Kept for `bench.dashboard`,
which times them against the summary's reads in the same run and checks both give the
same figures."""

from statistics import median

from sqlalchemy import and_, case, func

from market.accounts.models import Enterprise, Park
from market.admin.dashboard import (
    Figures,
    in_period,
    park_deals,
    received_manifests,
    started_manifests,
)
from market.admin.periods import Period, months, trend_window
from market.catalog.models import WasteCode
from market.deals.models import Deal
from market.extensions import db
from market.listings.models import SupplyListing
from market.manifests.flows import month_of
from market.manifests.models import Manifest
from market.manifests.states import ManifestStatus


def deals(out: Figures, park_id: int, period: Period) -> None:
    rows = db.session.execute(
        db.select(Deal.created_at, SupplyListing.published_at)
        .join(SupplyListing, SupplyListing.id == Deal.supply_listing_id)
        .where(park_deals(park_id), in_period(Deal.created_at, period))
    ).all()
    out.deals = len(rows)
    waits = [(made - published).total_seconds() / 86400 for made, published in rows if published]
    out.median_days = median(waits) if waits else None


def manifests(out: Figures, park_id: int, period: Period) -> None:
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
    out.received_kg, out.utilised_kg, out.treated_kg = (int(v) for v in sums)


def trends(park_id: int, period: Period) -> dict:
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
    return [(*row[:-1], int(row[-1])) for row in rows]


def went(rows: dict, park: Park, year: Period) -> None:
    from market.admin.capacity import _row

    receiver_park = db.aliased(Park)
    for code, name, hazardous, park_id, region, kg in db.session.execute(
        db.select(
            WasteCode.category_code,
            WasteCode.category_name,
            func.max(WasteCode.is_hazardous.cast(db.Integer)),
            receiver_park.id,
            receiver_park.region_code,
            func.sum(Manifest.received_kg),
        )
        .join(WasteCode, WasteCode.id == Manifest.waste_code_id)
        .join(Enterprise, Enterprise.id == Manifest.receiver_id)
        .join(receiver_park, receiver_park.id == Enterprise.park_id)
        .where(
            and_(Manifest.park_id == park.id, Manifest.received_at >= year.starts),
            Manifest.received_at < year.ends,
            Manifest.received_kg > 0,
        )
        .group_by(
            WasteCode.category_code,
            WasteCode.category_name,
            receiver_park.id,
            receiver_park.region_code,
        )
    ):
        where = (
            "park"
            if park_id == park.id
            else "province"
            if region[:2] == park.region_code[:2]
            else "farther"
        )
        _row(rows, code, name, hazardous).went[where] += int(kg or 0)


PATCHES = {"_deals": deals, "_manifests": manifests, "trends": trends, "flow_rows": flow_rows}


def patch(dashboard, capacity) -> dict:
    """Swap the old reads in; returns what to put back with `restore`."""
    saved = {name: getattr(dashboard, name) for name in PATCHES} | {"_went": capacity._went}
    for name, fn in PATCHES.items():
        setattr(dashboard, name, fn)
    capacity._went = went
    return saved


def restore(dashboard, capacity, saved: dict) -> None:
    capacity._went = saved.pop("_went")
    for name, fn in saved.items():
        setattr(dashboard, name, fn)
