"""The demo seed loads through the services and is deterministic."""

from flask import current_app

from market.accounts import uscc
from market.accounts.models import Enterprise, Park, User
from market.deals.models import Payment
from market.demo.builder import seed_demo
from market.extensions import db
from market.listings.models import Bid, DemandListing, SupplyListing


def test_demo_has_two_parks_hundreds_of_listings_and_valid_codes(ctx):
    builder = seed_demo(seed=7)
    parks = db.session.execute(db.select(Park).filter_by(is_demo=True)).scalars().all()
    assert [p.slug for p in parks] == ["etown", "jinan"]
    etown = parks[0]
    generators = db.session.scalar(
        db.select(db.func.count(Enterprise.id)).filter_by(park_id=etown.id, is_generator=True)
    )
    recyclers = db.session.scalar(
        db.select(db.func.count(Enterprise.id)).filter_by(park_id=etown.id, is_recycler=True)
    )
    assert (generators, recyclers) == (300, 40)
    assert all(uscc.is_valid(code) for code in db.session.scalars(db.select(Enterprise.uscc)))
    supply = db.session.scalar(db.select(db.func.count(SupplyListing.id)))
    demand = db.session.scalar(db.select(db.func.count(DemandListing.id)))
    assert supply >= 200 and demand >= 40
    roles = {a.role for a in builder.accounts}
    assert roles == {"park admin", "generator", "recycler", "transporter", "other enterprise"}
    assert all(
        db.session.execute(db.select(User).filter_by(email=a.email)).scalar_one()
        for a in builder.accounts
    )
    # Bids in both modes, and deals in every payment state, through localstripe.
    assert set(builder.deals) == {"authorised", "captured", "cancelled", "pending", "failed"}
    modes = set(
        db.session.scalars(
            db.select(SupplyListing.bidding_mode).join(
                Bid, Bid.supply_listing_id == SupplyListing.id
            )
        )
    )
    assert modes == {"open", "sealed"}
    states = set(db.session.scalars(db.select(Payment.status)))
    assert states == {"authorised", "captured", "cancelled", "pending", "failed"}


def test_the_same_seed_gives_the_same_data(ctx):
    seed_demo(seed=7)
    first = db.session.execute(
        db.select(Enterprise.name, Enterprise.uscc, Enterprise.lat)
        .order_by(Enterprise.id)
        .limit(50)
    ).all()
    from tests.conftest import _wipe

    _wipe(current_app.config["BASELINE"])
    seed_demo(seed=7)
    second = db.session.execute(
        db.select(Enterprise.name, Enterprise.uscc, Enterprise.lat)
        .order_by(Enterprise.id)
        .limit(50)
    ).all()
    assert first == second
