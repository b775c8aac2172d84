"""The one transition machinery (market.transitions) as every lifecycle uses it: a guarded
move plus one event row, each lifecycle refusing in its own words."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from market.db import utcnow
from market.deals import payments, services
from market.deals.models import Deal, DealEventRow, Payment, PaymentEventRow
from market.deals.states import DealEvent, PaymentEvent, PaymentStatus
from market.errors import Conflict
from market.extensions import db
from market.lifecycle import InvalidTransition
from market.listings.lifecycle import BIDS, SUPPLY, move_bid
from market.listings.models import Bid, BidEventRow, ListingEventRow
from market.listings.states import BidEvent, BidStatus, ListingEvent
from market.transitions import StaleTransition
from tests import factories


def _behind_our_back(model, row_id: int, **values) -> None:
    """Another worker's committed change, which our loaded row does not know of."""
    db.session.execute(
        update(model)
        .where(model.id == row_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _count(model, **by) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model).filter_by(**by))


@pytest.fixture()
def bid(world):
    lot = factories.steel_lot(world.generator)
    row = factories.bid(factories.bidder(), lot)
    db.session.commit()
    return row


@pytest.fixture()
def deal(world, bid):
    made = services.accept_bid(world.generator, bid.id)
    db.session.commit()
    return made


def test_a_move_changes_the_row_and_appends_one_event(bid, world):
    before = _count(BidEventRow, bid_id=bid.id)
    move_bid(bid, BidEvent.WITHDRAW, world.recycler)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Bid, bid.id).status == BidStatus.WITHDRAWN
    last = db.session.execute(
        db.select(BidEventRow).filter_by(bid_id=bid.id).order_by(BidEventRow.id.desc())
    ).scalar()
    assert _count(BidEventRow, bid_id=bid.id) == before + 1
    assert (last.event, last.from_status, last.to_status) == ("withdraw", "active", "withdrawn")
    assert last.actor_id == world.recycler.id


def test_a_move_lost_to_another_worker_is_refused_and_logs_nothing(bid):
    _behind_our_back(Bid, bid.id, status=BidStatus.LAPSED)
    before = _count(BidEventRow, bid_id=bid.id)
    with pytest.raises(Conflict, match="该出价已失效"):
        move_bid(bid, BidEvent.ACCEPT, None)
    assert _count(BidEventRow, bid_id=bid.id) == before


def test_a_move_keeps_the_rows_other_unsaved_changes(bid):
    bid.note = "changed in the same request"
    move_bid(bid, BidEvent.WITHDRAW, None)
    db.session.commit()
    db.session.expire_all()
    saved = db.session.get(Bid, bid.id)
    assert (saved.status, saved.note) == (BidStatus.WITHDRAWN, "changed in the same request")


def test_an_event_that_moves_nothing_records_the_status_on_both_sides(world):
    lot = factories.supply(world.generator)
    SUPPLY.log(lot, ListingEvent.EXTEND, actor=world.generator, note="probe")
    db.session.flush()
    row = db.session.execute(db.select(ListingEventRow).filter_by(note="probe")).scalar_one()
    assert (row.from_status, row.to_status) == ("open", "open")


def test_each_lifecycle_refuses_in_its_own_words(deal, bid):
    with pytest.raises(Conflict, match="该出价已失效"):
        BIDS.move(bid, BidEvent.WITHDRAW)  # accepted bids stay accepted
    _behind_our_back(Deal, deal.id, status="completed")
    with pytest.raises(Conflict, match="该成交已不能执行此操作"):
        services.DEALS.move(deal, DealEvent.CANCEL)
    assert _count(DealEventRow, deal_id=deal.id, event="cancel") == 0


def test_a_locked_deal_moves_and_stamps_its_event(world, deal):
    locked = services.lock_deal(deal.id)
    services.DEALS.move(locked, DealEvent.CANCEL, world.generator, note="probe")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).status == "cancelled"
    row = db.session.execute(db.select(DealEventRow).filter_by(note="probe")).scalar_one()
    assert (row.from_status, row.to_status, row.actor_id) == (
        "made",
        "cancelled",
        world.generator.id,
    )


def test_payments_refuse_an_illegal_or_stale_move_and_stamp_the_time(deal):
    payment = deal.payment
    assert payment.status == PaymentStatus.PENDING
    with pytest.raises(InvalidTransition):
        payments.PAYMENTS.move(payment, PaymentEvent.RETRY)  # only a failed payment retries
    _behind_our_back(Payment, payment.id, status=PaymentStatus.FAILED)
    with pytest.raises(StaleTransition):
        payments.PAYMENTS.move(payment, PaymentEvent.CANCEL)
    db.session.refresh(payment)
    old = payment.updated_at
    payments.PAYMENTS.move(payment, PaymentEvent.RETRY, amount_fen=None, note="probe")
    db.session.commit()
    db.session.expire_all()
    saved = db.session.get(Payment, payment.id)
    assert saved.status == PaymentStatus.PENDING
    assert old <= saved.updated_at <= utcnow() + timedelta(seconds=1)
    assert _count(PaymentEventRow, payment_id=payment.id, note="probe") == 1
