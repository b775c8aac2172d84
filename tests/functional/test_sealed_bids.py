"""Sealed bids stay sealed until the deadline on every channel: the lot page (for the
owner, a rival bidder and the park administrator), the API, the inbox, and the lot's
history; withdrawing the lot early reveals nothing; after the deadline they open."""

import json
from datetime import timedelta
from decimal import Decimal
from importlib import util
from pathlib import Path

import pytest

from market.db import utcnow
from market.extensions import db
from market.inbox.models import Message
from market.inbox.services import wording
from tests import factories
from tests.conftest import csrf_token, login
from tests.functional.test_api import bearer

PRICE, OTHER_PRICE = "4321", "3987"
SECRETS = ("4,321", "4321", "3,987", "3987", "9.5", "9.500")


@pytest.fixture()
def sealed(world):
    lot = factories.supply(
        world.generator,
        waste_code="ISW-17-01-01",
        bidding_mode="sealed",
        bid_deadline=utcnow() + timedelta(hours=2),
        quantity=Decimal("20"),
    )
    first, second = factories.bidder(), factories.bidder()
    factories.bid(first, lot, price=PRICE, quantity="9.5")
    factories.bid(second, lot, price=OTHER_PRICE, quantity="9.5")
    db.session.commit()
    return lot, first, second


def _leaks(text: str, *names) -> list[str]:
    return [s for s in (*SECRETS, *names) if s in text]


def test_owner_page_shows_only_how_many(client, world, sealed):
    lot, first, second = sealed
    login(client, world.generator)
    page = client.get(f"/listings/supply/{lot.id}").get_data(as_text=True)
    assert _leaks(page, first.enterprise.name, second.enterprise.name) == []
    assert "有效出价 2 个" in page and "密封报价在截止前对任何人不可见" in page


def test_a_rival_bidder_sees_only_their_own_bid(client, sealed):
    lot, first, second = sealed
    login(client, first)
    page = client.get(f"/listings/supply/{lot.id}").get_data(as_text=True)
    assert "4,321" in page  # their own
    assert "3,987" not in page and second.enterprise.name not in page


def test_the_park_administrator_sees_no_bid(client, world, sealed):
    lot, first, second = sealed
    login(client, world.admin)
    page = client.get(f"/listings/supply/{lot.id}").get_data(as_text=True)
    assert _leaks(page, first.enterprise.name, second.enterprise.name) == []


def test_the_api_shows_the_owner_a_count_and_a_bidder_their_own(client, world, sealed):
    lot, first, second = sealed
    owner = client.get(f"/api/v1/listings/supply/{lot.id}/bids", headers=bearer(world.generator))
    assert owner.json["bids"] == [] and owner.json["active"] == 2 and owner.json["sealed"]
    assert owner.json["best_price_yuan"] is None
    rival = client.get(f"/api/v1/listings/supply/{lot.id}/bids", headers=bearer(first))
    assert [b["price_yuan"] for b in rival.json["bids"]] == ["4321.00"]
    detail = client.get(f"/api/v1/listings/supply/{lot.id}", headers=bearer(world.generator))
    # the prices, whole: "9.5" may occur by chance in coordinates or timestamps
    assert [p for p in ("4321", "3987") if p in detail.get_data(as_text=True)] == []
    assert not [
        key
        for key in detail.json
        if "bid" in key and key != "bidding_mode" and key != "bid_deadline"
    ]


def test_the_inbox_says_a_bid_came_and_nothing_more(client, world, sealed):
    lot, first, second = sealed
    # The bidders' demand listings, published after the lot, were told to its owner (they
    # name the recycler, as the demand hall does, and nothing of a bid): not about bids.
    told = db.select(Message).filter_by(enterprise_id=world.generator.enterprise_id)
    demands = db.session.scalars(told.filter_by(kind="demand_matches")).all()
    assert demands and all(_leaks(m.params) == [] for m in demands)
    for message in demands:
        db.session.delete(message)
    db.session.commit()
    stored = [(m.kind, m.params) for m in db.session.scalars(told)]
    assert [k for k, _p in stored] == ["sealed_bid_received"] * 2
    assert all(_leaks(p) == [] for _k, p in stored)
    login(client, world.generator)
    page = client.get("/inbox/").get_data(as_text=True)
    assert _leaks(page, first.enterprise.name, second.enterprise.name) == []
    assert lot.title in page


def test_withdrawing_the_lot_before_the_deadline_reveals_nothing(client, world, sealed):
    lot, first, second = sealed
    login(client, world.generator)
    token = csrf_token(client, f"/listings/supply/{lot.id}")
    response = client.post(
        f"/listings/supply/{lot.id}/withdraw", data={"csrf_token": token, "confirm": "y"}
    )
    assert response.status_code == 302
    page = client.get(f"/listings/supply/{lot.id}").get_data(as_text=True)
    assert _leaks(page, first.enterprise.name, second.enterprise.name) == []
    api = client.get(f"/api/v1/listings/supply/{lot.id}/bids", headers=bearer(world.generator))
    assert api.json["bids"] == []


def test_the_history_holds_no_bid(client, world, sealed):
    lot, *_ = sealed
    login(client, world.generator)
    page = client.get(f"/listings/supply/{lot.id}").get_data(as_text=True)
    history = page.split("History")[-1] if "History" in page else page.split("历史")[-1]
    assert _leaks(history) == []


def test_after_the_deadline_the_owner_sees_every_bid(client, world, sealed):
    lot, first, second = sealed
    lot.bid_deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    login(client, world.generator)
    page = client.get(f"/listings/supply/{lot.id}").get_data(as_text=True)
    assert "4,321" in page and "3,987" in page and first.enterprise.name in page


def test_a_sealed_lot_without_a_deadline_takes_no_bid(world):
    from market.errors import Conflict

    lot = factories.supply(
        world.generator,
        waste_code="ISW-17-01-01",
        bidding_mode="sealed",
        bid_deadline=utcnow() + timedelta(hours=2),
    )
    lot.bid_deadline = None  # as a cancelled deal leaves a reopened lot
    db.session.flush()
    with pytest.raises(Conflict):
        factories.bid(factories.bidder(), lot)


def _migration():
    path = Path(__file__).resolve().parents[2] / "migrations/versions/0004_sealed_bid_messages.py"
    spec = util.spec_from_file_location("m0004", path)
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_scrubs_prices_already_sent(world, sealed):
    lot, *_ = sealed
    open_lot = factories.steel_lot(world.generator, title="公开竞价")
    for target in (lot, open_lot):
        db.session.add(
            Message(
                enterprise_id=world.generator.enterprise_id,
                kind="bid_received",
                link=f"/listings/supply/{target.id}",
                params=json.dumps({"lot": target.title, "price": "¥4321.00", "qty": "9.5 t"}),
            )
        )
    db.session.commit()
    with db.engine.begin() as conn:
        assert _migration().scrub(conn) == 1
    db.session.expire_all()
    rows = (
        db.session.execute(db.select(Message).where(Message.params.contains("4321")))
        .scalars()
        .all()
    )
    assert [json.loads(r.params)["lot"] for r in rows] == ["公开竞价"]
    sealed_row = (
        db.session.execute(
            db.select(Message).filter_by(kind="sealed_bid_received").order_by(Message.id.desc())
        )
        .scalars()
        .first()
    )
    assert "4321" not in wording(sealed_row) and lot.title in wording(sealed_row)
