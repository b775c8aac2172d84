"""Accepting a bid makes a deal, exactly once; cancelling it before pickup releases
the payment and the recycler's capacity; settling captures on the weighed quantity."""

import functools
import logging

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.orm import contains_eager

from market import clock
from market.accounts.models import User
from market.db import utcnow
from market.deals import payments, settlement
from market.deals.gateway import GatewayUnavailable, PaymentRefused
from market.deals.models import Deal, DealEventRow
from market.deals.states import DEAL_TRANSITIONS, DealEvent, DealStatus, PaymentStatus
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.inbox.services import notify
from market.listings.bidding import close_bidding_if_due, is_sealed, lock_lot
from market.listings.checks import require_not_suspended
from market.listings.lifecycle import move_bid, transition
from market.listings.models import Bid, DemandListing, SupplyListing
from market.listings.states import BidEvent, BidStatus, ListingEvent
from market.listings.states import ListingStatus as S
from market.matching import service as matching
from market.transitions import Lifecycle

log = logging.getLogger(__name__)
DEALS = Lifecycle(
    DEAL_TRANSITIONS,
    DealEventRow,
    "deal_id",
    lambda deal, event, raced: Conflict(_("This deal can no longer be changed that way.")),
)


def _deal_link(deal: Deal) -> str:
    return f"/deals/{deal.id}"


def accept_bid(user: User, bid_id: int) -> Deal:
    """The generator picks a bid (not necessarily the highest). Locks the lot, so two
    accepts of one lot, or an accept and a withdrawal, settle one after the other."""
    bid = db.session.get(Bid, bid_id)
    if bid is None:
        raise NotFound(_("No such bid."))
    lot = lock_lot(bid.supply_listing_id)
    if lot.enterprise_id != user.enterprise_id:
        raise Forbidden(_("Only the enterprise that posted the lot may accept a bid."))
    require_not_suspended(user)  # no new deal while suspended (deals under way go on)
    if bid.enterprise.is_suspended:
        raise Conflict(
            _("The bidder is suspended by the park administrator; its bid cannot be accepted.")
        )
    now = utcnow()
    close_bidding_if_due(lot, now)
    _check_acceptable(lot, bid, now)
    _draw_capacity(bid)
    move_bid(bid, BidEvent.ACCEPT, user)
    transition(lot, ListingEvent.AWARD, user, note=f"bid {bid.id}")
    deal = _make_deal(lot, bid, user)
    _reject_others(lot, bid, user)
    return deal


def _check_acceptable(lot, bid: Bid, now) -> None:
    db.session.refresh(bid)
    if lot.status not in (S.OPEN, S.BIDS_CLOSED):
        raise Conflict(_("This lot has already been awarded or is no longer open."))
    if is_sealed(lot, now):
        raise Conflict(_("Sealed bids can be accepted only after the bidding deadline."))
    if bid.status != BidStatus.ACTIVE:
        raise Conflict(_("This bid is no longer active."))
    if bid.valid_until <= now:
        raise Conflict(_("This bid is no longer valid."))


def _draw_capacity(bid: Bid) -> None:
    """Take the quantity from the recycler's remaining capacity, never below zero."""
    drawn = db.session.execute(
        update(DemandListing)
        .where(
            DemandListing.id == bid.demand_listing_id,
            DemandListing.status == S.OPEN,
            DemandListing.remaining_capacity_kg >= bid.quantity_kg,
        )
        .values(
            remaining_capacity_kg=DemandListing.remaining_capacity_kg - bid.quantity_kg,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if drawn != 1:
        raise Conflict(_("The recycler no longer has the capacity for this bid."))
    demand = db.session.get(DemandListing, bid.demand_listing_id)
    db.session.refresh(demand)
    matching.mark_dirty()  # rankings show the remaining capacity drawn
    if demand.remaining_capacity_kg == 0:
        transition(demand, ListingEvent.CLOSE, None, note="capacity used up")


def _make_deal(lot, bid: Bid, user: User) -> Deal:
    amount = payments.amount_for(bid.quantity_kg, bid.price_fen)
    payer = "none" if amount == 0 else ("recycler" if bid.price_fen > 0 else "generator")
    deal = Deal(
        supply_listing_id=lot.id,
        bid_id=bid.id,
        demand_listing_id=bid.demand_listing_id,
        generator_id=lot.enterprise_id,
        recycler_id=bid.enterprise_id,
        quantity_kg=bid.quantity_kg,
        price_fen=bid.price_fen,
        amount_fen=amount,
        payer=payer,
        status=DealStatus.MADE,
    )
    db.session.add(deal)
    db.session.flush()  # the unique lot id refuses a second deal here
    DEALS.log(deal, DealEvent.MAKE, None, DealStatus.MADE, user)
    payments.record_payment(deal)
    # one message each: the generator made the deal, the recycler's bid won it
    notify(deal.generator_id, "deal_made", link=_deal_link(deal), deal=deal.id, lot=lot.title)
    notify(deal.recycler_id, "bid_won", link=_deal_link(deal), deal=deal.id, lot=lot.title)
    return deal


def _reject_others(lot, winner: Bid, user: User) -> None:
    others = (
        db.session.execute(
            db.select(Bid).where(
                Bid.supply_listing_id == lot.id, Bid.id != winner.id, Bid.status == BidStatus.ACTIVE
            )
        )
        .scalars()
        .all()
    )
    for bid in others:
        move_bid(bid, BidEvent.REJECT, user)
        notify(bid.enterprise_id, "bid_lost", link=f"/listings/supply/{lot.id}", lot=lot.title)


def lock_deal(deal_id: int, *options, with_lot: bool = False) -> Deal:
    """The deal row, locked until commit; `options` load related rows in the same
    statement (eager loads; only the deal row is locked). `with_lot` also loads and locks
    the deal's lot (`deal.listing`), as `lock_lot` would, in the same statement."""
    stmt = _lock_statement(tuple(options), with_lot)
    deal = db.session.execute(stmt, {"lock_deal_id": deal_id}).unique().scalar_one_or_none()
    if deal is None:
        raise NotFound(_("No such deal."))
    return deal


@functools.lru_cache(maxsize=64)
def _lock_statement(options: tuple, with_lot: bool):
    """The locking select, built once per set of eager loads (callers keep theirs in
    module constants): SQLAlchemy then also computes its cache key once, which for eager
    loads cost more than the query itself on the manifests' hot path."""
    stmt, locked = db.select(Deal), [Deal]
    if with_lot:  # a plain join (not an aliased eager one) so FOR UPDATE OF can name it
        stmt = stmt.join(Deal.listing).options(contains_eager(Deal.listing))
        locked.append(SupplyListing)
    return (
        stmt.options(*options)
        .where(Deal.id == db.bindparam("lock_deal_id"))
        .with_for_update(of=locked)
        .execution_options(populate_existing=True)
    )


def cancel_deal(user: User, deal_id: int, note: str = "") -> Deal:
    """Either party, before pickup: the authorisation is released, the recycler's
    capacity restored and the lot open again."""
    deal = lock_deal(deal_id)
    if not deal.party(user.enterprise_id):
        raise Forbidden(_("Only the parties to a deal may cancel it."))
    _check_no_manifests(deal)
    DEALS.move(deal, DealEvent.CANCEL, user, note=note[:500])
    move_bid(deal.bid, BidEvent.CANCEL, user)  # no longer shown as accepted
    _release_payment(deal)
    _restore_capacity(deal)
    lot = lock_lot(deal.supply_listing_id)
    transition(lot, ListingEvent.REOPEN, user, note=f"deal {deal.id} cancelled")
    lot.bid_deadline = None
    for enterprise_id in (deal.generator_id, deal.recycler_id):
        notify(enterprise_id, "deal_cancelled", link=_deal_link(deal), deal=deal.id, lot=lot.title)
    return deal


def _check_no_manifests(deal: Deal) -> None:
    """Before pickup means before any manifest: once one is live the deal is completed."""
    from market.manifests.models import Manifest  # manifests build on deals, not the reverse

    live = db.session.scalar(
        db.select(db.func.count(Manifest.id)).where(
            Manifest.deal_id == deal.id, Manifest.status != "cancelled"
        )
    )
    if live:
        raise Conflict(
            _("This deal has manifests; cancel those not yet picked up, or complete the deal.")
        )


def _release_payment(deal: Deal) -> None:
    payment = deal.payment
    if payment is None or payment.status in (PaymentStatus.CANCELLED, PaymentStatus.FAILED):
        return
    if payment.status == PaymentStatus.CAPTURED:
        raise Conflict(_("The payment has already been captured."))
    if payment.lease_until and payment.lease_until > utcnow():
        raise Conflict(_("The payment is being processed; try again in a minute."))
    try:
        payments.cancel(payment)
    except GatewayUnavailable:
        raise Conflict(
            _("The payment service is unreachable; nothing was changed. Try again later.")
        ) from None


def _restore_capacity(deal: Deal) -> None:
    demand = db.session.execute(
        db.select(DemandListing)
        .where(DemandListing.id == deal.demand_listing_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    demand.remaining_capacity_kg += deal.quantity_kg
    demand.updated_at = utcnow()
    matching.mark_dirty()  # rankings show the capacity given back
    if demand.status == S.CLOSED and demand.available_until >= clock.today():
        transition(demand, ListingEvent.REOPEN, None, note=f"deal {deal.id} cancelled")


def settle_deal(deal_id: int, weighed_kg: int, actor: User | None = None) -> Deal:
    """Capture on the received quantity and release the rest; more than was authorised is
    recorded as a top-up payment (`after_commit_payment` then charges it)."""
    if isinstance(weighed_kg, bool) or not isinstance(weighed_kg, int) or weighed_kg < 0:
        raise DomainError(_("The weighed quantity cannot be negative."))
    return settle_locked(lock_deal(deal_id), weighed_kg, actor)


def settle_locked(
    deal: Deal, weighed_kg: int, actor: User | None = None, lot_locked: bool = False
) -> Deal:
    """`settle_deal` on a deal the caller has locked in this transaction (and its lot too,
    when `lot_locked`: see `lock_deal(..., with_lot=True)`)."""
    if isinstance(weighed_kg, bool) or not isinstance(weighed_kg, int) or weighed_kg < 0:
        raise DomainError(_("The weighed quantity cannot be negative."))
    payment = deal.payment
    if payment is not None and payment.status != PaymentStatus.AUTHORISED:
        raise Conflict(_("The payment is not authorised yet."))
    DEALS.move(deal, DealEvent.COMPLETE, actor, note=f"received {weighed_kg} kg")
    settlement.capture_received(deal, weighed_kg)
    lot = deal.listing if lot_locked else lock_lot(deal.supply_listing_id)
    transition(lot, ListingEvent.CLOSE, actor, note=f"deal {deal.id} settled")
    return deal


def after_commit_payment(deal: Deal) -> None:
    """Side effect after the deal's commit: try to authorise at once (or, after settling,
    charge the top-up); if the gateway is down the deal waits for `flask payments retry`."""
    if deal.status == DealStatus.COMPLETED:
        settlement.process_top_up(deal.id)
        return
    if deal.payment is None:
        return
    attempt_payment(deal.payment.id)


def payment_due(deal: Deal):
    """The deal's payment that waits on its payer (pending or refused): the top-up after
    settlement, else the deal's own payment; None when nothing waits (nor on a cancelled
    deal, whose refused payment stays refused)."""
    if deal.status == DealStatus.CANCELLED:
        return None
    for payment in (deal.top_up, deal.payment):
        if payment is not None and payment.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
            return payment
    return None


def _payer_payment(user: User, deal_id: int):
    deal = lock_deal(deal_id)
    payment = payment_due(deal)
    if payment is None:
        raise Conflict(_("No payment of this deal waits for you."))
    if payment.payer_id != user.enterprise_id:
        raise Forbidden(_("Only the paying enterprise may change how it pays."))
    return payment


def set_payment_card(user: User, deal_id: int, card: dict) -> None:
    """The payer's card becomes its payment method (kept for later deals too)."""
    payment = _payer_payment(user, deal_id)
    payer = payment.payer
    try:
        customer, _method = payments.gateway().ensure_customer(payer)
        payer.stripe_customer_id = customer
        payer.stripe_payment_method_id = payments.gateway().set_card(customer, card)
    except GatewayUnavailable:
        raise Conflict(
            _("The payment service is unreachable; nothing was changed. Try again later.")
        ) from None
    except PaymentRefused as exc:
        log.warning("enterprise %s: card refused: %s", payer.id, exc)
        raise DomainError(
            _("The card was not accepted; check it or use another."), field="number"
        ) from None


def retry_payment(user: User, deal_id: int):
    """Put the payer's waiting payment up for another attempt; the attempt itself runs
    after the commit (`process_payment`), leased, so it is made exactly once."""
    payment = _payer_payment(user, deal_id)
    if payment.status == PaymentStatus.FAILED:
        try:
            payments.retry_failed(payment)
        except GatewayUnavailable:
            raise Conflict(
                _("The payment service is unreachable; nothing was changed. Try again later.")
            ) from None
    return payment


def pay_with_card(user: User, deal_id: int, card: dict):
    """The payer's new card, and its waiting payment put up for another attempt."""
    set_payment_card(user, deal_id, card)
    return retry_payment(user, deal_id)


def attempt_payment(payment_id: int):
    """After the commit: one attempt at the gateway; tells the payer if it is refused."""
    payment = payments.process_payment(payment_id)
    if payment is not None and payment.status == PaymentStatus.FAILED:
        notify(
            payment.payer_id,
            "payment_failed",
            link=_deal_link(payment.deal),
            deal=payment.deal_id,
            why=payment.last_error,
        )
        db.session.commit()
    return payment
