"""Races settled by the database, with real parallel connections (PostgreSQL).

Each race runs many times; every run must end in exactly one consistent outcome."""

import threading
import time
from datetime import timedelta
from decimal import Decimal
from functools import partial

import pytest
from flask import current_app

from market.accounts.models import User
from market.db import utcnow
from market.deals import services
from market.deals.models import Deal
from market.errors import DomainError
from market.extensions import db
from market.listings import bidding
from market.listings.models import Bid, DemandListing, ListingEventRow, SupplyListing
from tests import factories

RUNS = 12

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def postgres_only(ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("races need real parallel connections: run with TEST_DATABASE_URL")


def in_parallel(*jobs):
    """Run each job in its own thread, app context and database connection, all at once.
    Returns what each returned, or the DomainError it raised."""
    app = current_app._get_current_object()
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(i, job):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = job()
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    db.session.expire_all()
    return results


def user(user_id: int) -> User:
    return db.session.get(User, user_id)


def lot_with_bids(world, n: int, mode="open", deadline=None, capacity="100"):
    lot = factories.supply(
        world.generator,
        waste_code="ISW-17-01-01",
        bidding_mode=mode,
        quantity=Decimal("5"),
        bid_deadline=deadline,
    )
    bids = [
        factories.bid(factories.bidder(capacity_t=capacity), lot, price=str(1000 + 10 * i))
        for i in range(n)
    ]
    db.session.commit()
    return lot, bids


def accept(user_id: int, bid_id: int) -> int:
    return services.accept_bid(user(user_id), bid_id).id


def withdraw(user_id: int, bid_id: int) -> int:
    return bidding.withdraw_bid(user(user_id), bid_id).id


def ok(results) -> list:
    return [r for r in results if not isinstance(r, Exception)]


def test_two_accepts_of_different_bids_on_one_lot(world):
    gen = world.generator.id
    for _ in range(RUNS):
        lot, (a, b) = lot_with_bids(world, 2)
        a_id, b_id = a.id, b.id  # plain ids: ORM rows belong to this thread's session
        results = in_parallel(partial(accept, gen, a_id), partial(accept, gen, b_id))
        assert len(ok(results)) == 1, results
        deals = db.session.scalars(db.select(Deal).filter_by(supply_listing_id=lot.id)).all()
        assert len(deals) == 1 and deals[0].id == ok(results)[0]
        statuses = sorted(
            db.session.scalars(db.select(Bid.status).filter_by(supply_listing_id=lot.id))
        )
        assert statuses == ["accepted", "rejected"]
        assert db.session.get(SupplyListing, lot.id).status == "awarded"


def test_an_accept_racing_a_withdrawal(world):
    gen = world.generator.id
    outcomes = set()
    for _ in range(RUNS):
        lot, (bid,) = lot_with_bids(world, 1)
        bidder, bid_id = bid.created_by_id, bid.id
        results = in_parallel(partial(accept, gen, bid_id), partial(withdraw, bidder, bid_id))
        assert len(ok(results)) == 1, results
        status = db.session.get(Bid, bid.id).status
        deals = db.session.scalar(
            db.select(db.func.count(Deal.id)).filter_by(supply_listing_id=lot.id)
        )
        lot_status = db.session.get(SupplyListing, lot.id).status
        assert (status, deals, lot_status) in {("accepted", 1, "awarded"), ("withdrawn", 0, "open")}
        outcomes.add(status)
    assert outcomes  # both orders are legal; which one wins is up to the scheduler


def test_a_bid_racing_the_deadline(world):
    for _ in range(RUNS):
        deadline = utcnow() + timedelta(milliseconds=300)
        lot = factories.supply(
            world.generator, waste_code="ISW-17-01-01", bidding_mode="sealed", bid_deadline=deadline
        )
        recycler = factories.bidder()
        db.session.commit()
        rid, lid = recycler.id, lot.id

        def place(rid=rid, lid=lid, deadline=deadline):
            time.sleep(max(0.0, (deadline - utcnow()).total_seconds()))
            return bidding.place_bid(
                user(rid), lid, bidding.BidInput(Decimal("900"), Decimal("1"))
            ).id

        def close(deadline=deadline):
            time.sleep(max(0.0, (deadline - utcnow()).total_seconds()))
            return bidding.close_due_bidding()

        in_parallel(place, close)
        closed = db.session.execute(
            db.select(ListingEventRow).filter_by(supply_listing_id=lid, event="close_bidding")
        ).scalar_one_or_none()
        bids = db.session.scalars(db.select(Bid).filter_by(supply_listing_id=lid)).all()
        if closed is None:  # the bid came first, before the deadline: bidding still open
            assert db.session.get(SupplyListing, lid).status == "open"
            bidding.close_due_bidding(utcnow() + timedelta(seconds=1))
            db.session.commit()
        else:
            assert all(b.created_at <= closed.at for b in bids)  # never a bid after closing
        assert len(bids) <= 1


def test_many_deals_drawing_on_one_recyclers_capacity(world):
    for _ in range(RUNS // 2):
        recycler = factories.bidder(capacity_t="10")
        generators, bids = [], []
        for _i in range(6):
            gen = factories.user(factories.enterprise(("generator",)))
            lot = factories.supply(gen, waste_code="ISW-17-01-01", quantity=Decimal("3"))
            bids.append(factories.bid(recycler, lot, quantity="3"))
            generators.append(gen.id)
        db.session.commit()
        demand_id, bid_ids = bids[0].demand_listing_id, [b.id for b in bids]
        results = in_parallel(
            *[partial(accept, g, b) for g, b in zip(generators, bid_ids, strict=True)]
        )
        assert len(ok(results)) == 3, results  # 3 × 3 t fit in 10 t; a fourth would not
        demand = db.session.get(DemandListing, demand_id)
        assert demand.remaining_capacity_kg == 1_000
        drawn = db.session.scalar(
            db.select(db.func.sum(Deal.quantity_kg)).filter_by(demand_listing_id=demand_id)
        )
        assert drawn == 9_000
