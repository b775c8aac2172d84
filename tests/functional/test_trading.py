"""Bidding and deals as users meet them: pages, inbox, API, access and bad input."""

from datetime import timedelta

import pytest

from market.db import utcnow
from market.deals.models import Deal
from market.extensions import db
from market.listings.models import Bid
from tests import factories
from tests.conftest import csrf_token, login
from tests.functional.test_api import bearer


@pytest.fixture()
def market(world):
    lot = factories.steel_lot(world.generator, bid_deadline=utcnow() + timedelta(hours=3))
    recycler = factories.bidder()
    db.session.commit()
    return lot, recycler


def post(client, path, data=None):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/login")})


def test_bid_accept_and_see_the_deal_through_the_pages(client, world, market):
    lot, recycler = market
    login(client, recycler)
    page = client.get(f"/listings/supply/{lot.id}").get_data(as_text=True)
    assert "出价" in page and "bid" in page.lower()
    response = post(
        client,
        f"/listings/supply/{lot.id}/bids",
        {"price_yuan": "2300", "quantity_t": "20", "note": "<b>可上门</b>"},
    )
    assert response.status_code == 302
    bid = db.session.scalar(db.select(Bid))
    assert bid.price_fen == 230_000
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})

    login(client, world.generator)
    page = client.get(f"/listings/supply/{lot.id}").get_data(as_text=True)
    assert recycler.enterprise.name in page and "¥2,300.00" in page
    assert "新" in client.get("/inbox/").get_data(as_text=True)
    response = post(client, f"/bids/{bid.id}/accept")
    assert response.status_code == 302 and "/deals/" in response.headers["Location"]
    deal_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已授权" in deal_page or "authorised" in deal_page
    assert db.session.scalar(db.select(db.func.count(Deal.id))) == 1


def test_sealed_bids_are_hidden_until_the_deadline(client, world):
    lot = factories.supply(
        world.generator,
        waste_code="ISW-17-01-01",
        bidding_mode="sealed",
        bid_deadline=utcnow() + timedelta(hours=1),
    )
    rival = factories.bidder()
    factories.bid(rival, lot, price="4321")
    db.session.commit()
    login(client, world.generator)
    page = client.get(f"/listings/supply/{lot.id}").get_data(as_text=True)
    assert "4,321" not in page and rival.enterprise.name not in page
    api = client.get(f"/api/v1/listings/supply/{lot.id}/bids", headers=bearer(world.generator))
    assert api.json["bids"] == [] and api.json["active"] == 1


ROUTES = [
    ("GET", "/deals/", {"anonymous": "login"}, 200),
    ("GET", "/inbox/", {"anonymous": "login"}, 200),  # administrators: their park's messages
    ("POST", "/listings/supply/{lot}/bids", {"anonymous": "login", "recycler": 302}, 403),
    (
        "POST",
        "/bids/{bid}/accept",
        {"anonymous": "login", "recycler": 403, "admin": 403, "generator": 302},
        403,
    ),
    ("POST", "/bids/{bid}/withdraw", {"anonymous": "login", "recycler": 302}, 403),
    ("GET", "/deals/{deal}", {"anonymous": "login", "admin": 200, "generator": 200}, 404),
]
ROLES = ("anonymous", "generator", "recycler", "transporter", "other", "admin", "admin_elsewhere")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "special", "default"), ROUTES, ids=[f"{m} {p}" for m, p, _s, _d in ROUTES]
)
def test_trading_routes_by_role(client, world, market, role, method, path, special, default):
    lot, bidder = market
    bid = factories.bid(bidder, lot)
    other_lot = factories.supply(world.generator, waste_code="ISW-17-01-01", title="另一批")
    deal_bid = factories.bid(factories.bidder(), other_lot)
    db.session.commit()
    from market.deals.services import accept_bid

    deal = accept_bid(world.generator, deal_bid.id)
    db.session.commit()
    if role == "recycler":
        user = bidder  # the bidder on `lot`
    else:
        user = getattr(world, role, None)
    if user is not None:
        login(client, user)
    url = path.format(lot=lot.id, bid=bid.id, deal=deal.id)
    if method == "GET":
        response = client.get(url)
    else:
        data = (
            {"price_yuan": "2500", "quantity_t": "1"}
            if "bids" in url and "accept" not in url
            else {}
        )
        response = post(client, url, data)
    expected = special.get(role, default)
    if expected == "login":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"price_yuan": "2300", "quantity_t": "0"}, 400),
        ({"price_yuan": "2300", "quantity_t": "-1"}, 400),
        ({"price_yuan": "2300", "quantity_t": "21"}, 400),
        ({"price_yuan": "1e15", "quantity_t": "1"}, 400),
        ({"price_yuan": "NaN", "quantity_t": "1"}, 400),
        ({"price_yuan": "2300"}, 400),
        ({"quantity_t": "1"}, 400),
    ],
)
def test_bad_bids_through_the_api(client, market, body, status):
    lot, recycler = market
    response = client.post(
        f"/api/v1/listings/supply/{lot.id}/bids", json=body, headers=bearer(recycler)
    )
    assert response.status_code == status, response.json
    assert response.json["error"]["message"]
    assert db.session.scalar(db.select(db.func.count(Bid.id))) == 0


def test_refusals_through_the_api_say_why(client, world, market):
    lot, recycler = market
    own = client.post(
        f"/api/v1/listings/supply/{lot.id}/bids",
        json={"price_yuan": "1", "quantity_t": "1"},
        headers=bearer(world.generator),
    )
    assert own.status_code == 403  # a generator, and its own lot
    far = factories.bidder(lat=30.5, lon=114.3)  # Wuhan
    db.session.commit()
    response = client.post(
        f"/api/v1/listings/supply/{lot.id}/bids",
        json={"price_yuan": "2300", "quantity_t": "1"},
        headers=bearer(far),
    )
    assert response.status_code == 400 and "服务半径" in response.json["error"]["message"]
    bid = factories.bid(recycler, lot)
    db.session.commit()
    stolen = client.post(f"/api/v1/bids/{bid.id}/accept", headers=bearer(world.other))
    assert stolen.status_code == 403
    lot.bid_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    late = client.post(
        f"/api/v1/listings/supply/{lot.id}/bids",
        json={"price_yuan": "9999", "quantity_t": "1"},
        headers=bearer(recycler),
    )
    assert late.status_code == 409
    accepted = client.post(f"/api/v1/bids/{bid.id}/accept", headers=bearer(world.generator))
    assert accepted.status_code == 201 and accepted.json["payment"]["status"] == "authorised"
    closed = client.post(
        f"/api/v1/listings/supply/{lot.id}/bids",
        json={"price_yuan": "9999", "quantity_t": "1"},
        headers=bearer(recycler),
    )
    assert closed.status_code == 409
    deals = client.get("/api/v1/deals", headers=bearer(recycler)).json
    assert deals["total"] == 1
    cancel = client.post(
        f"/api/v1/deals/{deals['items'][0]['id']}/cancel",
        json={"reason": "计划变更"},
        headers=bearer(recycler),
    )
    assert cancel.status_code == 200 and cancel.json["payment"]["status"] == "cancelled"
