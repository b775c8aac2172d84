"""Bidding rules on a real database: eligibility, modes, anti-sniping, deadlines."""

from datetime import timedelta

import pytest

from market.db import utcnow
from market.errors import Conflict, DomainError, Forbidden
from market.extensions import db
from market.inbox.models import Message
from market.listings import bidding
from market.listings.models import Bid, BidEventRow, ListingEventRow
from tests import factories


@pytest.fixture()
def lot(world):
    row = factories.steel_lot(world.generator, bid_deadline=utcnow() + timedelta(hours=2))
    db.session.commit()
    return row


def test_an_eligible_recycler_bids_and_the_generator_is_told(lot):
    recycler = factories.bidder()
    bid = factories.bid(recycler, lot, price="2300", quantity="20")
    assert bid.status == "active" and bid.price_fen == 230_000 and bid.quantity_kg == 20_000
    assert 0.9 < bid.match_score <= 1.0
    assert db.session.execute(
        db.select(Message).filter_by(enterprise_id=lot.enterprise_id, kind="bid_received")
    ).scalar_one()
    assert [e.event for e in db.session.scalars(db.select(BidEventRow))] == ["place"]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"quantity": "0"}, "more than zero"),
        ({"quantity": "-2"}, "more than zero"),
        ({"quantity": "21"}, "more than the lot"),
        ({"quantity": "NaN"}, "finite"),
        ({"price": "1e12"}, "plausible"),
        ({"price": "Infinity"}, "finite"),
    ],
)
def test_bad_bids_are_refused_and_nothing_is_written(lot, kw, message):
    recycler = factories.bidder()
    with pytest.raises(DomainError) as info:
        factories.bid(recycler, lot, **kw)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Bid.id))) == 0
    assert info.value.message


def test_the_generator_cannot_bid_on_its_own_lot(world, lot):
    own = factories.user(world.generator.enterprise)
    world.generator.enterprise.is_recycler = True
    with pytest.raises(Forbidden):
        factories.bid(own, lot)


def test_a_recycler_without_a_fitting_demand_listing_is_told_why(lot):
    far = factories.bidder(lat=31.2, lon=121.5)  # Shanghai: far outside its 50 km radius
    with pytest.raises(DomainError) as info:
        factories.bid(far, lot)
    assert "服务半径" in info.value.message or "radius" in info.value.message
    other_code = factories.bidder(codes=("ISW-07-01-01",))
    with pytest.raises(DomainError) as info:
        factories.bid(other_code, lot)
    assert "ISW-17-01-01" in info.value.message


def test_a_hazardous_lot_needs_the_exact_licensed_code(world):
    hw = factories.supply(world.generator)  # 900-214-08
    wrong = factories.bidder(codes=("900-217-08",))
    with pytest.raises(DomainError) as info:
        factories.bid(wrong, hw)
    assert "900-214-08" in info.value.message
    right = factories.bidder(codes=("900-214-08",))
    assert factories.bid(right, hw).status == "active"


def test_a_bid_cannot_exceed_the_recyclers_remaining_capacity(lot):
    small = factories.bidder(capacity_t="3")
    with pytest.raises(DomainError) as info:
        factories.bid(small, lot, quantity="5")
    assert info.value.field == "quantity_t"


def test_open_bidding_shows_and_must_beat_the_best_price(lot):
    a, b = factories.bidder(), factories.bidder()
    factories.bid(a, lot, price="2000")
    assert bidding.best_price(lot.id) == 200_000
    with pytest.raises(DomainError):
        factories.bid(b, lot, price="2000")
    factories.bid(b, lot, price="2000.01")
    assert bidding.best_price(lot.id) == 200_001


def test_sealed_bids_need_not_beat_each_other(world):
    sealed = factories.supply(
        world.generator,
        waste_code="ISW-17-01-01",
        bidding_mode="sealed",
        bid_deadline=utcnow() + timedelta(hours=1),
    )
    factories.bid(factories.bidder(), sealed, price="2000")
    assert factories.bid(factories.bidder(), sealed, price="1500").status == "active"


def test_a_late_bid_in_open_mode_extends_the_deadline(app, world):
    soon = utcnow() + timedelta(minutes=2)
    lot = factories.supply(world.generator, waste_code="ISW-17-01-01", bid_deadline=soon)
    factories.bid(factories.bidder(), lot)
    window = timedelta(minutes=app.config["BID_EXTENSION_MINUTES"])
    assert lot.bid_deadline > soon and lot.bid_deadline - utcnow() > window - timedelta(seconds=5)
    assert db.session.execute(
        db.select(ListingEventRow).filter_by(supply_listing_id=lot.id, event="extend")
    ).scalar_one()


def test_no_bid_after_the_deadline_and_bidding_closes_on_access(world):
    lot = factories.supply(
        world.generator, waste_code="ISW-17-01-01", bid_deadline=utcnow() + timedelta(hours=1)
    )
    recycler = factories.bidder()
    factories.bid(recycler, lot)
    db.session.commit()
    later = utcnow() + timedelta(hours=2)
    assert bidding.close_bidding_if_due(lot, later)
    assert lot.status == "bids_closed"
    with pytest.raises(Conflict):
        factories.bid(factories.bidder(), lot)


def test_the_scheduler_closes_bidding_and_awards_nothing(world):
    lot = factories.supply(
        world.generator, waste_code="ISW-17-01-01", bid_deadline=utcnow() + timedelta(minutes=30)
    )
    factories.bid(factories.bidder(), lot)
    db.session.commit()
    assert bidding.close_due_bidding(utcnow() + timedelta(hours=1)) == 1
    db.session.refresh(lot)
    assert lot.status == "bids_closed"
    assert db.session.scalar(db.select(Bid.status)) == "active"  # still for the generator


def test_withdrawing_a_bid_and_the_lot(lot):
    recycler = factories.bidder()
    bid = factories.bid(recycler, lot)
    other = factories.bid(factories.bidder(), lot, price="5000")
    with pytest.raises(Forbidden):
        bidding.withdraw_bid(factories.bidder(), bid.id)
    bidding.withdraw_bid(recycler, bid.id)
    assert bid.status == "withdrawn"
    with pytest.raises(Conflict):
        bidding.withdraw_bid(recycler, bid.id)
    from market.listings import services

    services.withdraw(lot.created_by, lot)
    db.session.refresh(other)
    assert other.status == "lapsed"


def test_a_lot_with_active_bids_cannot_be_edited(world, lot):
    from market.listings import services

    factories.bid(factories.bidder(), lot)
    with pytest.raises(Conflict):
        services.update_supply(
            world.generator, lot, factories.supply_input(waste_code="ISW-17-01-01")
        )
