"""Reads for bidding and deals: what each viewer may see of a lot's bids, deal lists."""

from dataclasses import dataclass

from sqlalchemy.orm import selectinload

from market.accounts.models import Enterprise, User
from market.db import utcnow
from market.deals.models import Deal, DealEventRow, PaymentEventRow
from market.extensions import db
from market.listings.bidding import is_sealed
from market.listings.models import Bid, DemandListing, SupplyListing
from market.listings.states import BidStatus, ListingStatus
from market.matching import service as matching
from market.matching.service import reason


@dataclass
class BidView:
    """What the lot page shows about bids, decided by who is looking."""

    count: int  # active bids: all that anyone but the bidders learns of a sealed lot
    best_fen: int | None  # open mode only
    sealed: bool  # sealed and the deadline has not passed
    sealed_until: object | None  # sealed and still before the deadline
    all_bids: list  # the lot owner's view, when not sealed
    mine: list  # the viewer's own bids
    can_bid: bool
    eligibility: str  # why the viewer may not bid, or ""
    eligible_demand: object | None
    can_accept: bool


def bids_of(lot_id: int, enterprise_id: int | None = None) -> list[Bid]:
    stmt = (
        db.select(Bid)
        .where(Bid.supply_listing_id == lot_id)
        .options(selectinload(Bid.enterprise), selectinload(Bid.demand))
        .order_by(Bid.price_fen.desc(), Bid.id)
    )
    if enterprise_id is not None:
        stmt = stmt.where(Bid.enterprise_id == enterprise_id)
    return db.session.execute(stmt).scalars().all()


def bid_view(lot: SupplyListing, user: User) -> BidView:
    owner = user.enterprise_id == lot.enterprise_id
    sealed = is_sealed(lot)
    every = bids_of(lot.id)  # one query; each viewer's share is taken from it
    active = [b for b in every if b.status == BidStatus.ACTIVE]
    can_bid, why, demand = _eligibility(lot, user)
    return BidView(
        count=len(active),
        best_fen=max((b.price_fen for b in active), default=None)
        if lot.bidding_mode == "open"
        else None,
        sealed=sealed,
        sealed_until=lot.bid_deadline if sealed else None,
        all_bids=every if owner and not sealed else [],
        mine=[b for b in every if b.enterprise_id == user.enterprise_id] if not owner else [],
        can_bid=can_bid,
        eligibility=why,
        eligible_demand=demand,
        can_accept=owner
        and lot.status in (ListingStatus.OPEN, ListingStatus.BIDS_CLOSED)
        and not sealed,
    )


def _eligibility(lot: SupplyListing, user: User) -> tuple[bool, str, object | None]:
    from flask_babel import gettext as _

    if lot.status != ListingStatus.OPEN or user.enterprise_id == lot.enterprise_id:
        return False, "", None
    if user.enterprise is None or not user.enterprise.is_recycler:
        return False, "", None
    if lot.bid_deadline is not None and lot.bid_deadline <= utcnow():
        return False, _("Bidding has closed."), None
    ranking = matching.rank_own_demand(lot, user.enterprise_id)
    if ranking.matches:
        match = ranking.matches[0]
        return True, "", (match, db.session.get(DemandListing, match.id))
    if ranking.excluded:
        why = "; ".join(reason("supply", n, lot) for n in ranking.excluded)
        return False, _("Your enterprise may not bid on this lot: %(why)s.", why=why), None
    return (
        False,
        _(
            "None of your open demand listings takes %(code)s; post one first.",
            code=lot.waste_code.code,
        ),
        None,
    )


def deals_for(user: User):
    stmt = (
        db.select(Deal)
        .options(
            selectinload(Deal.listing),
            selectinload(Deal.generator),
            selectinload(Deal.recycler),
            selectinload(Deal.payment),
        )
        .order_by(Deal.id.desc())
    )
    if user.is_park_admin:
        stmt = stmt.join(Enterprise, Deal.generator_id == Enterprise.id).where(
            Enterprise.park_id == user.admin_park_id
        )
    else:
        stmt = stmt.where(
            (Deal.generator_id == user.enterprise_id) | (Deal.recycler_id == user.enterprise_id)
        )
    return stmt


def may_see_deal(user: User, deal: Deal) -> bool:
    if deal.party(user.enterprise_id):
        return True
    return user.is_park_admin and deal.generator.park_id == user.admin_park_id


def deal_history(deal: Deal) -> tuple[list, list]:
    events = (
        db.session.execute(
            db.select(DealEventRow).filter_by(deal_id=deal.id).order_by(DealEventRow.id)
        )
        .scalars()
        .all()
    )
    payment_events = []
    if deal.payment is not None:
        payment_events = (
            db.session.execute(
                db.select(PaymentEventRow)
                .filter_by(payment_id=deal.payment.id)
                .order_by(PaymentEventRow.id)
            )
            .scalars()
            .all()
        )
    return events, payment_events
