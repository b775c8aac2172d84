"""The JSON API: same reads and listing writes as the pages, by bearer token."""

from datetime import timedelta

import pytest

from market import clock
from market.accounts.auth import issue_token
from market.extensions import db
from market.listings.models import DemandListing, SupplyListing
from tests import factories

TODAY = clock.today()


def bearer(user) -> dict:
    _row, plain = issue_token(user, "test")
    db.session.commit()
    return {"Authorization": f"Bearer {plain}", "Accept-Language": "zh-CN"}


def supply_body(**overrides) -> dict:
    body = {
        "waste_code": "900-214-08",
        "title": "废机油 5 吨",
        "local_name": "废机油",
        "quantity": 5,
        "available_from": str(TODAY),
        "available_until": str(TODAY + timedelta(days=30)),
        "asking_price_yuan": "1500.50",
    }
    body.update(overrides)
    return body


def test_a_generator_creates_publishes_edits_and_withdraws_a_lot(client, world):
    h = bearer(world.generator)
    created = client.post("/api/v1/listings/supply", json=supply_body(), headers=h)
    assert created.status_code == 201, created.json
    lot = created.json
    assert lot["status"] == "draft" and lot["quantity_t"] == "5.000"
    assert lot["asking_price_yuan"] == "1500.50" and lot["hazardous"] is True
    assert lot["code_edition"] == "2021"
    lid = lot["id"]
    assert client.post(f"/api/v1/listings/supply/{lid}/publish", headers=h).json["status"] == "open"
    patched = client.patch(f"/api/v1/listings/supply/{lid}", json={"quantity": "7.5"}, headers=h)
    assert patched.status_code == 200 and patched.json["quantity_t"] == "7.500"
    assert patched.json["title"] == "废机油 5 吨"  # untouched fields keep their values
    assert (
        client.post(f"/api/v1/listings/supply/{lid}/withdraw", headers=h).json["status"]
        == "withdrawn"
    )


def test_a_recycler_posts_demand_with_a_licence_for_hazardous_codes(client, world):
    h = bearer(world.recycler)
    lic = world.recycler.enterprise.licences[0]
    body = {
        "waste_codes": ["900-214-08", "ISW-17-01-01"],
        "title": "收废机油和废钢",
        "licence_id": lic.id,
        "remaining_capacity_t": "300",
        "service_radius_km": 80,
        "available_from": str(TODAY),
        "available_until": str(TODAY + timedelta(days=90)),
        "publish": True,
    }
    response = client.post("/api/v1/listings/demand", json=body, headers=h)
    assert response.status_code == 201, response.json
    assert response.json["waste_codes"] == ["900-214-08", "ISW-17-01-01"]
    assert response.json["status"] == "open"


def test_browse_filters_by_code_distance_and_quantity(client, world):
    near = factories.supply(world.generator, quantity=2)
    far_owner = factories.user(factories.enterprise(("generator",), lat=39.1, lon=117.2))
    far = factories.supply(far_owner, quantity=50)
    factories.supply(world.generator, waste_code="ISW-17-01-01", title="废钢", local_name="废钢")
    db.session.commit()
    h = bearer(world.recycler)

    def ids(**params):
        r = client.get("/api/v1/listings/supply", query_string=params, headers=h)
        assert r.status_code == 200, r.json
        return {item["id"] for item in r.json["items"]}

    assert ids(code="900-214-08") == {near.id, far.id}
    assert ids(code="HW08") == {near.id, far.id}
    assert ids(code="900-214-08", within_km=30) == {near.id}
    assert ids(code="HW08", min_t=10) == {far.id}
    assert len(ids(hazardous="no")) == 1
    first = client.get(
        "/api/v1/listings/supply", query_string={"sort": "distance"}, headers=h
    ).json["items"][0]
    assert first["distance_km"] < 1


def test_someone_elses_token_cannot_change_a_listing(client, world):
    listing = factories.supply(world.generator)
    db.session.commit()
    h = bearer(world.other)
    r = client.patch(f"/api/v1/listings/supply/{listing.id}", json={"title": "x"}, headers=h)
    assert r.status_code == 403 and r.json["error"]["message"]
    assert (
        client.post(f"/api/v1/listings/supply/{listing.id}/withdraw", headers=h).status_code == 403
    )
    db.session.expire_all()
    assert db.session.get(SupplyListing, listing.id).status == "open"


def test_a_revoked_token_stops_working(client, world):
    from market.accounts.auth import revoke_token

    row, plain = issue_token(world.generator, "t")
    db.session.commit()
    h = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=h).status_code == 200
    revoke_token(world.generator, row.id)
    db.session.commit()
    assert client.get("/api/v1/me", headers=h).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": "NaN"}, "quantity"),
        ({"quantity": 1e15}, "quantity"),
        ({"waste_code": "HW99"}, "waste_code"),
        ({"lat": 40.7, "lon": -74.0}, "lat|lon"),
        ({"available_until": str(TODAY - timedelta(days=3))}, "available_until"),
        ({"title": "x" * 10_000}, "title"),
        ({"unit": "barrel"}, "unit"),
    ],
)
def test_bad_api_input_is_a_json_400_naming_the_field(client, world, body, field):
    h = bearer(world.generator)
    response = client.post("/api/v1/listings/supply", json=supply_body(**body), headers=h)
    assert response.status_code == 400, response.json
    error = response.json["error"]
    assert set(field.split("|")) & set(error.get("fields", {})), error
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error  # Chinese
    assert db.session.scalar(db.select(db.func.count(SupplyListing.id))) == 0


def test_a_non_object_body_is_refused(client, world):
    h = bearer(world.generator)
    for payload in ("[1,2]", "not json", ""):
        response = client.post(
            "/api/v1/listings/supply",
            data=payload,
            headers={**h, "Content-Type": "application/json"},
        )
        assert response.status_code == 400 and response.is_json


def test_a_transporter_cannot_post_supply_or_demand(client, world):
    h = bearer(world.transporter)
    assert client.post("/api/v1/listings/supply", json=supply_body(), headers=h).status_code == 403
    assert db.session.scalar(db.select(db.func.count(DemandListing.id))) == 0


def test_english_is_served_when_asked_for(client, world):
    h = {**bearer(world.generator), "Accept-Language": "en"}
    r = client.post("/api/v1/listings/supply", json=supply_body(quantity=0), headers=h)
    assert r.status_code == 400 and r.json["error"]["message"].isascii()


def test_park_admin_sees_the_parks_enterprises(client, world):
    r = client.get("/api/v1/enterprises", headers=bearer(world.admin))
    assert len(r.json["enterprises"]) == 4
    r = client.get("/api/v1/enterprises", headers=bearer(world.admin_elsewhere))
    assert r.json["enterprises"] == []
    r = client.get("/api/v1/enterprises", headers=bearer(world.generator))
    assert [e["id"] for e in r.json["enterprises"]] == [world.generator.enterprise_id]
