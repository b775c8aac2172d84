"""The demo seed loads through the services and is deterministic."""

from datetime import date

from flask import current_app

from market.accounts import uscc
from market.accounts.models import Enterprise, Park, User
from market.extensions import db
from market.listings.models import DemandListing, SupplyListing
from market.seeding import seed_demo


def test_demo_has_two_parks_hundreds_of_listings_and_valid_codes(ctx):
    builder = seed_demo(seed=7, today=date(2026, 11, 24))
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


def test_the_same_seed_gives_the_same_data(ctx):
    seed_demo(seed=7, today=date(2026, 11, 24))
    first = db.session.execute(
        db.select(Enterprise.name, Enterprise.uscc, Enterprise.lat)
        .order_by(Enterprise.id)
        .limit(50)
    ).all()
    from tests.conftest import _wipe

    _wipe(current_app.config["BASELINE"])
    seed_demo(seed=7, today=date(2026, 11, 24))
    second = db.session.execute(
        db.select(Enterprise.name, Enterprise.uscc, Enterprise.lat)
        .order_by(Enterprise.id)
        .limit(50)
    ).all()
    assert first == second
