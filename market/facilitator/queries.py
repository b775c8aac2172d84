"""Reads for the facilitator's desk: the park's lots nobody bid on, their best matches,
and the suggestions sent with what became of them."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, exists
from sqlalchemy.orm import selectinload

from market import clock
from market.accounts.models import Enterprise
from market.db import utcnow
from market.deals.models import Deal
from market.deals.states import DealStatus
from market.extensions import db
from market.facilitator.models import Suggestion
from market.listings.models import Bid, DemandListing, SupplyListing
from market.listings.states import ListingStatus
from market.matching import service as matching

TOP = 3  # matches shown per lot
MAX_LOTS = 50  # lots shown at once, oldest first


@dataclass
class Candidate:
    demand: DemandListing
    score: float
    distance_km: float
    sent: bool


@dataclass
class Lot:
    listing: SupplyListing
    waited_days: int
    matches: list[Candidate]


def unbid_lots(park_id: int, days: int) -> list[SupplyListing]:
    """Open lots of the park, published at least `days` days ago, with no bid at all."""
    before = utcnow() - timedelta(days=days)
    return list(
        db.session.execute(
            db.select(SupplyListing)
            .join(Enterprise, Enterprise.id == SupplyListing.enterprise_id)
            .where(
                Enterprise.park_id == park_id,
                SupplyListing.status == ListingStatus.OPEN,
                SupplyListing.available_until >= clock.today(),
                SupplyListing.published_at <= before,
                ~exists().where(Bid.supply_listing_id == SupplyListing.id),
            )
            .order_by(SupplyListing.published_at, SupplyListing.id)
            .limit(MAX_LOTS)
            .options(selectinload(SupplyListing.enterprise), selectinload(SupplyListing.waste_code))
        ).scalars()
    )


def desk(park_id: int, days: int) -> list[Lot]:
    lots = unbid_lots(park_id, days)
    sent = sent_pairs([lot.id for lot in lots])
    now, out = utcnow(), []
    for lot in lots:
        ranking = matching.rank_demand_for(lot, k=TOP)
        rows = matching.load(DemandListing, [m.id for m in ranking.matches])
        matches = [
            Candidate(rows[m.id], m.score, m.distance_km, (lot.id, m.id) in sent)
            for m in ranking.matches
            if m.id in rows
        ]
        out.append(Lot(lot, (now - lot.published_at).days, matches))
    return out


def sent_pairs(lot_ids: list[int]) -> set[tuple[int, int]]:
    if not lot_ids:
        return set()
    return set(
        db.session.execute(
            db.select(Suggestion.supply_listing_id, Suggestion.demand_listing_id).where(
                Suggestion.supply_listing_id.in_(lot_ids)
            )
        ).all()
    )


@dataclass
class Sent:
    suggestion: Suggestion
    deal: Deal | None


def sent(park_id: int, limit: int = 100) -> list[Sent]:
    """The park's suggestions, newest first, each with the deal it led to: a deal on the
    lot with the suggested recycler made after the suggestion (not cancelled)."""
    rows = db.session.execute(
        db.select(Suggestion, Deal)
        .join(DemandListing, DemandListing.id == Suggestion.demand_listing_id)
        .outerjoin(
            Deal,
            and_(
                Deal.supply_listing_id == Suggestion.supply_listing_id,
                Deal.recycler_id == DemandListing.enterprise_id,
                Deal.created_at >= Suggestion.created_at,
                Deal.status != DealStatus.CANCELLED,
            ),
        )
        .where(Suggestion.park_id == park_id)
        .order_by(Suggestion.created_at.desc(), Suggestion.id.desc())
        .limit(limit)
        .options(
            selectinload(Suggestion.listing).selectinload(SupplyListing.enterprise),
            selectinload(Suggestion.demand).selectinload(DemandListing.enterprise),
            selectinload(Suggestion.admin),
        )
    ).all()
    return [Sent(s, d) for s, d in rows]


def sent_today(admin_id: int) -> int:
    since = utcnow() - timedelta(days=1)
    return (
        db.session.scalar(
            db.select(db.func.count(Suggestion.id)).where(
                Suggestion.admin_id == admin_id, Suggestion.created_at >= since
            )
        )
        or 0
    )
