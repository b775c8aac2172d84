"""Grades steer matching at once: a published grade moves a ranking in the same second,
in this process and (through the grade version) in every other; grade D leaves the
ranking and may not bid, and its standing bids are flagged to the generator."""

import pytest
from flask import current_app
from flask_babel import force_locale

from market.credit import services
from market.errors import Forbidden
from market.extensions import db
from market.inbox.models import Message
from market.listings.models import Bid, DemandListing
from market.matching import service as matching
from tests import credit_flow as cf
from tests import factories


@pytest.fixture()
def stale(ctx):
    """No timed refresh or rebuild during the test: only a notice can move a ranking."""
    config = current_app.config
    old = (config["MATCHING_REFRESH_SECONDS"], config["MATCHING_REBUILD_SECONDS"])
    config["MATCHING_REFRESH_SECONDS"] = config["MATCHING_REBUILD_SECONDS"] = 3600
    yield
    config["MATCHING_REFRESH_SECONDS"], config["MATCHING_REBUILD_SECONDS"] = old


@pytest.fixture()
def race(world, stale):
    """Two ungraded recyclers: near (3 km) ranks above far (4 km) on distance alone."""
    world.second, world.third = cf.admins()
    park = factories.park()
    world.near = factories.bidder(lat=park.lat + 3 / 111.195, lon=park.lon)
    world.far = factories.bidder(lat=park.lat + 4 / 111.195, lon=park.lon)
    world.lot = factories.steel_lot(world.generator)
    db.session.commit()
    return world


def order(w):
    owner = {w.near.enterprise_id: "near", w.far.enterprise_id: "far"}
    ids = [m.id for m in matching.rank_demand_for(w.lot).matches]
    demands = db.session.execute(db.select(DemandListing).where(DemandListing.id.in_(ids)))
    by_id = {d.id: owner.get(d.enterprise_id) for d in demands.scalars()}
    return [by_id[i] for i in ids if by_id[i]]


def forget_local_notice():
    """What another worker sees: its index was never marked dirty here."""
    for state in matching._states.values():
        state.dirty = False


def test_a_published_grade_moves_the_ranking_in_the_same_second(race):
    assert order(race) == ["near", "far"]
    cf.published(race.admin, race.second, race.far.enterprise, share=1)  # A
    assert order(race) == ["far", "near"]


def test_another_worker_sees_the_publication_through_the_grade_version(race):
    assert order(race) == ["near", "far"]
    evaluation = cf.submitted(race.admin, race.far.enterprise, share=1)
    services.approve_evaluation(race.second, evaluation.id)
    db.session.commit()
    forget_local_notice()
    assert order(race) == ["far", "near"]


def test_a_forced_d_leaves_the_ranking_and_flags_standing_bids(race):
    cf.published(race.admin, race.second, race.near.enterprise, share=1)
    bid = factories.bid(race.near, race.lot)
    db.session.commit()
    assert order(race) == ["near", "far"]
    violation = services.report_violation(
        race.admin, race.near.enterprise_id, factories.clock.today(), "非法倾倒"
    )
    services.confirm_violation(race.second, violation.id)
    db.session.commit()
    forget_local_notice()
    assert order(race) == ["far"]
    db.session.refresh(bid)
    assert bid.grade_d_flagged_at is not None and bid.status == "active"
    told = db.session.execute(
        db.select(Message).filter_by(enterprise_id=race.generator.enterprise_id, kind="bid_grade_d")
    ).scalar_one()
    assert race.near.enterprise.name in told.params


def test_grade_d_may_not_bid(race):
    cf.published(race.admin, race.second, race.near.enterprise, share=0.2)  # 52.0: D
    with force_locale("en"), pytest.raises(Forbidden) as refused:
        factories.bid(race.near, race.lot)
    assert "credit grade is D" in refused.value.message
    assert db.session.scalar(db.select(db.func.count(Bid.id))) == 0


def test_a_bid_is_flagged_once_however_often_the_grade_is_forced(race):
    cf.published(race.admin, race.second, race.near.enterprise, share=1)
    factories.bid(race.near, race.lot)
    db.session.commit()
    for _ in range(2):
        violation = services.report_violation(
            race.admin, race.near.enterprise_id, factories.clock.today(), "超标"
        )
        services.confirm_violation(race.second, violation.id)
    kinds = db.session.execute(
        db.select(Message.kind).filter_by(enterprise_id=race.generator.enterprise_id)
    ).scalars()
    assert list(kinds).count("bid_grade_d") == 1


def test_the_generator_sees_the_flag_on_the_lot_page_and_in_the_api(race, app):
    from tests.conftest import login
    from tests.functional.test_api import bearer

    cf.published(race.admin, race.second, race.near.enterprise, share=1)
    factories.bid(race.near, race.lot)
    db.session.commit()
    client = app.test_client()
    login(client, race.generator)
    page = f"/listings/supply/{race.lot.id}"
    assert "已降为 D" not in client.get(page).get_data(as_text=True)
    violation = services.report_violation(
        race.admin, race.near.enterprise_id, factories.clock.today(), "非法倾倒"
    )
    services.confirm_violation(race.second, violation.id)
    db.session.commit()
    assert "已降为 D" in client.get(page).get_data(as_text=True)
    api = app.test_client()
    reply = api.get(f"/api/v1/listings/supply/{race.lot.id}/bids", headers=bearer(race.generator))
    (bid,) = reply.get_json()["bids"]
    assert bid["bidder_fell_to_d"] is True and bid["bidder"]["credit_grade"] == "D"
