"""The facilitator's desk: which lots it lists, one suggestion per pair, the daily limit,
the inbox messages, the deals suggestions led to, and who may use it."""

import re
from datetime import timedelta

import pytest

from market.db import utcnow
from market.deals.services import accept_bid
from market.extensions import db
from market.facilitator.models import Suggestion
from market.inbox.models import Message
from tests import factories
from tests.conftest import csrf_token, login


@pytest.fixture()
def desk(world):
    """A steel lot listed 10 days ago with no bid, a fresh one, one with a bid, and two
    recyclers whose demand matches them."""
    old = factories.steel_lot(world.generator, title="旧边角料 20 吨")
    fresh = factories.steel_lot(world.generator, title="新边角料 20 吨")
    bid_on = factories.steel_lot(world.generator, title="有人出价 20 吨")
    first, second = factories.bidder(), factories.bidder()
    factories.bid(first, bid_on)
    old.published_at = utcnow() - timedelta(days=10)
    bid_on.published_at = utcnow() - timedelta(days=10)
    fresh.published_at = utcnow() - timedelta(days=3)
    db.session.commit()
    return {"old": old, "fresh": fresh, "bid_on": bid_on, "first": first, "second": second}


def demand_of(user):
    from market.listings.models import DemandListing

    return db.session.execute(
        db.select(DemandListing).filter_by(enterprise_id=user.enterprise_id)
    ).scalar_one()


def suggest(client, lot, demand, days=7):
    data = {"csrf_token": csrf_token(client, "/admin/desk/"), "supply_id": lot.id,
            "demand_id": demand.id}  # fmt: skip
    return client.post(f"/admin/desk/suggest?days={days}", data=data)


def test_the_desk_lists_lots_with_no_bid_after_n_days(client, world, desk):
    login(client, world.admin)
    html = client.get("/admin/desk/").get_data(as_text=True)
    assert "旧边角料" in html and "新边角料" not in html and "有人出价" not in html
    assert html.count('name="demand_id"') == 2  # both recyclers match the old lot
    html = client.get("/admin/desk/?days=2").get_data(as_text=True)
    assert "旧边角料" in html and "新边角料" in html and "有人出价" not in html


@pytest.mark.parametrize("days", ["0", "366", "x", "-3"])
def test_a_bad_number_of_days_is_refused(client, world, desk, days):
    login(client, world.admin)
    response = client.get(f"/admin/desk/?days={days}")
    assert response.status_code == 400
    assert "alert-danger" in response.get_data(as_text=True)


def test_a_suggestion_goes_to_both_inboxes_once(client, world, desk):
    login(client, world.admin)
    demand = demand_of(desk["first"])
    assert suggest(client, desk["old"], demand).status_code == 302
    rows = db.session.execute(db.select(Suggestion)).scalars().all()
    assert [(r.supply_listing_id, r.demand_listing_id) for r in rows] == [
        (desk["old"].id, demand.id)
    ]
    to = {m.enterprise_id: m.kind for m in db.session.execute(
        db.select(Message).where(Message.kind.like("facilitator%"))).scalars()}  # fmt: skip
    assert to == {world.generator.enterprise_id: "facilitator_to_generator",
                  desk["first"].enterprise_id: "facilitator_to_recycler"}  # fmt: skip
    again = suggest(client, desk["old"], demand)
    assert again.status_code == 409
    assert db.session.scalar(db.select(db.func.count(Suggestion.id))) == 1
    assert (
        db.session.scalar(
            db.select(db.func.count(Message.id)).where(Message.kind.like("facilitator%"))
        )
        == 2
    )
    html = client.get("/admin/desk/").get_data(as_text=True)
    assert html.count('name="demand_id"') == 1  # the pair sent shows as suggested


def test_the_daily_limit_per_administrator(app, client, world, desk, monkeypatch):
    monkeypatch.setitem(app.config, "FACILITATOR_DAILY_LIMIT", 1)
    login(client, world.admin)
    assert suggest(client, desk["old"], demand_of(desk["first"])).status_code == 302
    refused = suggest(client, desk["old"], demand_of(desk["second"]))
    assert refused.status_code == 429
    assert "24" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Suggestion.id))) == 1
    # a day later the limit has room again
    day_ago = utcnow() - timedelta(days=1, seconds=5)
    db.session.execute(db.update(Suggestion).values(created_at=day_ago))
    db.session.commit()
    assert suggest(client, desk["old"], demand_of(desk["second"])).status_code == 302


def test_a_demand_that_does_not_match_is_refused(client, world, desk):
    login(client, world.admin)
    oil = factories.bidder(codes=("900-214-08",))
    db.session.commit()
    response = suggest(client, desk["old"], demand_of(oil))
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Suggestion.id))) == 0


def test_another_parks_administrator_cannot_suggest_this_parks_lot(client, world, desk):
    login(client, world.admin_elsewhere)
    assert "旧边角料" not in client.get("/admin/desk/").get_data(as_text=True)
    assert suggest(client, desk["old"], demand_of(desk["first"])).status_code == 404
    assert db.session.scalar(db.select(db.func.count(Suggestion.id))) == 0


def test_the_desk_shows_which_suggestions_became_deals(client, world, desk):
    login(client, world.admin)
    suggest(client, desk["old"], demand_of(desk["first"]))
    suggest(client, desk["old"], demand_of(desk["second"]))
    bid = factories.bid(desk["first"], desk["old"])
    db.session.commit()
    deal = accept_bid(world.generator, bid.id)
    db.session.commit()
    html = client.get("/admin/desk/").get_data(as_text=True)
    assert f'href="/deals/{deal.id}"' in html
    assert len(re.findall(r'href="/deals/\d+"', html)) == 1  # the second recycler's did not
