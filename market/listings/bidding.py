"""Bids on supply lots: who may bid, open and sealed modes, anti-sniping, withdrawal,
and the closing of bidding at the deadline. Accepting a bid is in market.deals."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _

from market.accounts.models import Licence, Role, User, licence_codes
from market.accounts.states import LicenceStatus
from market.db import utcnow
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.formatting import price_label
from market.inbox.services import notify
from market.listings.checks import (
    finite_decimal,
    price_fen,
    require_bidder_not_grade_d,
    require_role,
)
from market.listings.lifecycle import BIDS, SUPPLY, move_bid, transition
from market.listings.models import MAX_KG, Bid, DemandListing, SupplyListing
from market.listings.states import BidEvent, BidStatus, ListingEvent
from market.listings.states import ListingStatus as S
from market.matching import service as matching
from market.matching.service import reason
from market.matching.types import Filter


@dataclass
class BidInput:
    price_yuan: Decimal
    quantity_t: Decimal
    valid_until: datetime | None = None
    note: str = ""


def lock_lot(lot_id: int) -> SupplyListing:
    """The lot row, locked until commit on PostgreSQL (SQLite serialises writers anyway)."""
    lot = db.session.execute(
        db.select(SupplyListing)
        .where(SupplyListing.id == lot_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if lot is None:
        raise NotFound(_("No such listing."))
    return lot


def close_bidding_if_due(lot: SupplyListing, now: datetime | None = None) -> bool:
    """The check on access: an open lot past its bidding deadline stops taking bids."""
    now = now or utcnow()
    if lot.status != S.OPEN or lot.bid_deadline is None or lot.bid_deadline > now:
        return False
    transition(lot, ListingEvent.CLOSE_BIDDING, None, note="bidding deadline passed")
    count = _count_active(lot.id)
    notify(
        lot.enterprise_id,
        "bidding_closed",
        link=f"/listings/supply/{lot.id}",
        lot=lot.title,
        n=count,
    )
    return True


def close_due_bidding(now: datetime | None = None) -> int:
    """For the scheduler: close bidding on every lot past its deadline; awards nothing."""
    now = now or utcnow()
    ids = (
        db.session.execute(
            db.select(SupplyListing.id).where(
                SupplyListing.status == S.OPEN, SupplyListing.bid_deadline <= now
            )
        )
        .scalars()
        .all()
    )
    closed = 0
    for lot_id in ids:
        closed += close_bidding_if_due(lock_lot(lot_id), now)
        db.session.commit()
    return closed


def _count_active(lot_id: int) -> int:
    return (
        db.session.scalar(
            db.select(db.func.count(Bid.id)).where(
                Bid.supply_listing_id == lot_id, Bid.status == BidStatus.ACTIVE
            )
        )
        or 0
    )


def is_sealed(lot: SupplyListing, now: datetime | None = None) -> bool:
    """Sealed bids stay hidden from everyone, the lot's owner included, until the deadline
    has passed: by the clock, not by the lot's status, so withdrawing a lot early reveals
    nothing."""
    if lot.bidding_mode != "sealed":
        return False
    return lot.bid_deadline is None or (now or utcnow()) < lot.bid_deadline


def best_price(lot_id: int) -> int | None:
    return db.session.scalar(
        db.select(db.func.max(Bid.price_fen)).where(
            Bid.supply_listing_id == lot_id, Bid.status == BidStatus.ACTIVE
        )
    )


def refusal(name: Filter, lot: SupplyListing, enterprise_id: int | None = None) -> str:
    """Why the bidder's demand listings leave this lot out, in the bidder's terms: for a
    general-waste lot the code filter is about what the listings take, not the licence;
    for a hazardous one, a licence that would cover it but awaits review says so."""
    code = lot.waste_code.code
    if lot.waste_code.is_hazardous and name in (Filter.CODE, Filter.LICENCE):
        if enterprise_id is not None and awaits_review(enterprise_id, lot.waste_code_id):
            return _(
                "your licence covering %(code)s is awaiting the park administrator's review",
                code=code,
            )
    if name != Filter.CODE:
        return reason("supply", name, lot)
    if lot.waste_code.is_hazardous:
        return _(
            "none of your demand listings takes %(code)s under a licence that covers it",
            code=code,
        )
    return _("none of your demand listings takes %(code)s or a code of its category", code=code)


def awaits_review(enterprise_id: int, waste_code_id: int) -> bool:
    """Has the enterprise a licence covering the code that is not yet approved?"""
    return (
        db.session.execute(
            db.select(Licence.id)
            .join(licence_codes, licence_codes.c.licence_id == Licence.id)
            .where(Licence.enterprise_id == enterprise_id)
            .where(Licence.status == LicenceStatus.PENDING)
            .where(licence_codes.c.waste_code_id == waste_code_id)
            .limit(1)
        ).first()
        is not None
    )


def refusals(names, lot: SupplyListing, enterprise_id: int | None = None) -> str:
    return "; ".join(refusal(name, lot, enterprise_id) for name in names)


def _eligible_demand(user: User, lot: SupplyListing):
    """The bidder's best-scoring open demand listing that passes every hard filter."""
    ranking = matching.rank_own_demand(lot, user.enterprise_id)
    if ranking.matches:
        return ranking.matches[0]
    if ranking.excluded:
        why = refusals(ranking.excluded, lot, user.enterprise_id)
        raise DomainError(_("Your enterprise may not bid on this lot: %(why)s.", why=why))
    raise DomainError(
        _(
            "None of your open demand listings takes %(code)s; post one first.",
            code=lot.waste_code.code,
        )
    )


def _check_open(lot: SupplyListing, user: User, now: datetime) -> None:
    if lot.enterprise_id == user.enterprise_id:
        raise Forbidden(_("You cannot bid on your own enterprise's listing."))
    if lot.enterprise.is_suspended:
        raise Conflict(_("This lot no longer takes bids."))
    close_bidding_if_due(lot, now)
    if lot.status != S.OPEN:
        raise Conflict(_("This lot no longer takes bids."))
    if lot.bidding_mode == "sealed" and lot.bid_deadline is None:
        raise Conflict(
            _("This sealed lot has no bidding deadline yet; bids open when its owner sets one.")
        )


def _quantity_kg(data: BidInput, lot: SupplyListing) -> int:
    kg = int((finite_decimal(data.quantity_t, "quantity_t") * 1000).to_integral_value())
    if kg <= 0:
        raise DomainError(_("The quantity must be more than zero."), field="quantity_t")
    if kg > min(lot.quantity_kg, MAX_KG):
        raise DomainError(_("The quantity is more than the lot."), field="quantity_t")
    return kg


def _valid_until(data: BidInput, lot: SupplyListing, now: datetime) -> datetime:
    until = data.valid_until or lot.bid_deadline or now + timedelta(days=7)
    if until <= now:
        raise DomainError(_("The bid must stay valid for some time."), field="valid_until")
    return until


def place_bid(user: User, lot_id: int, data: BidInput) -> Bid:
    require_role(user, Role.RECYCLER)
    require_bidder_not_grade_d(user)
    now = utcnow()
    lot = lock_lot(lot_id)
    _check_open(lot, user, now)
    kg = _quantity_kg(data, lot)
    price = price_fen(data.price_yuan, "price_yuan")
    until = _valid_until(data, lot, now)
    match = _eligible_demand(user, lot)
    demand = db.session.get(DemandListing, match.id)
    if kg > demand.remaining_capacity_kg:
        raise DomainError(
            _("The quantity is more than your remaining capacity."), field="quantity_t"
        )
    _check_ascending(lot, price)
    bid = Bid(
        supply_listing_id=lot.id,
        enterprise_id=user.enterprise_id,
        demand=demand,
        created_by=user,
        price_fen=price,
        quantity_kg=kg,
        valid_until=until,
        note=(data.note or "").strip()[:1000],
        match_score=match.score,
        status=BidStatus.ACTIVE,
    )
    db.session.add(bid)
    db.session.flush()
    BIDS.log(bid, BidEvent.PLACE, None, BidStatus.ACTIVE, user)
    _extend_if_sniping(lot, now, user)
    _tell_owner(lot, bid.id, price, kg)
    return bid


def _tell_owner(lot: SupplyListing, bid_id: int, price: int, kg: int) -> None:
    """The owner hears of every bid; of a sealed one only that it came (no price, no
    quantity, no bidder), since the inbox is read before the deadline."""
    link = f"/listings/supply/{lot.id}"
    if lot.bidding_mode == "sealed":
        notify(lot.enterprise_id, "sealed_bid_received", link=link, lot=lot.title)
        return
    notify(
        lot.enterprise_id,
        "bid_received",
        link=link,
        lot=lot.title,
        bid=bid_id,
        price_fen=price,  # worded when read, in the reader's language and number format
        qty_kg=kg,
    )


def _check_ascending(lot: SupplyListing, price: int) -> None:
    """Open ascending: each bid beats the best so far."""
    if lot.bidding_mode != "open":
        return
    best = best_price(lot.id)
    if best is not None and price <= best:
        raise DomainError(
            _(
                "In open bidding a bid must beat the best price so far (%(best)s).",
                best=price_label(best),
            ),
            field="price_yuan",
        )


def _extend_if_sniping(lot: SupplyListing, now: datetime, user: User) -> None:
    """A bid in the last minutes of an open auction pushes the deadline out."""
    window = timedelta(minutes=current_app.config["BID_EXTENSION_MINUTES"])
    if lot.bidding_mode != "open" or lot.bid_deadline is None:
        return
    if lot.bid_deadline - now >= window:
        return
    lot.bid_deadline = now + window
    note = f"deadline extended to {lot.bid_deadline.isoformat()}"
    SUPPLY.log(lot, ListingEvent.EXTEND, actor=user, note=note)


def withdraw_bid(user: User, bid_id: int) -> Bid:
    bid = db.session.get(Bid, bid_id)
    if bid is None:
        raise NotFound(_("No such bid."))
    if bid.enterprise_id != user.enterprise_id:
        raise Forbidden(_("Only the bidder may withdraw a bid."))
    lock_lot(bid.supply_listing_id)  # wait for an accept that is under way
    db.session.refresh(bid)
    move_bid(bid, BidEvent.WITHDRAW, user)
    return bid


def lapse_bids(lot: SupplyListing) -> None:
    """The lot was withdrawn or expired without an award: its active bids lapse."""
    bids = (
        db.session.execute(
            db.select(Bid).where(Bid.supply_listing_id == lot.id, Bid.status == BidStatus.ACTIVE)
        )
        .scalars()
        .all()
    )
    for bid in bids:
        move_bid(bid, BidEvent.LAPSE, None)
        notify(bid.enterprise_id, "bid_lapsed", link=f"/listings/supply/{lot.id}", lot=lot.title)


def count_active(lot_id: int) -> int:
    return _count_active(lot_id)


def has_active_bids(lot_id: int) -> bool:
    return _count_active(lot_id) > 0
