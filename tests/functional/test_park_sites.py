"""Where it is: a park's named sites kept by its administrators; listings and enterprises
choose a site or type an address, and nobody has to type latitude and longitude."""

from datetime import timedelta

import pytest
from flask_babel import refresh

from market import clock
from market.accounts import sites
from market.accounts.models import Enterprise, ParkSite
from market.extensions import db
from market.listings.models import DemandListing, SupplyListing
from tests import factories
from tests.conftest import csrf_token, login
from tests.functional.test_api import bearer, supply_body

LOGIN = "login"


def english(client) -> None:
    client.get("/lang/en")
    refresh()


def add_site(park_slug="north", name="东门", lat=39.8, lon=116.52, address="测试路东门 1 号"):
    admin = factories.user(admin_of=factories.park(park_slug))
    return sites.create_site(admin, sites.SiteInput(name, address, lat, lon))


def _beside(page: str, field: str) -> str:
    """The first error shown in the field's own block (up to the next label)."""
    import html
    import re

    block = page.split(f'name="{field}"', 1)[1].split("<label", 1)[0]
    match = re.search(r'<div class="invalid-feedback d-block">([^<]+)</div>', block)
    assert match, f"no error beside {field}"
    return html.unescape(match.group(1))


# ---- the administrator's list ------------------------------------------------------------


def test_the_park_administrator_adds_edits_and_deletes_sites(client, world):
    login(client, world.admin)
    token = csrf_token(client, "/admin/sites/")
    added = client.post(
        "/admin/sites/",
        data={
            "csrf_token": token,
            "name": "危废暂存库",
            "address": "北园路 8 号",
            "lat": "39.81",
            "lon": "116.55",
        },
    )
    assert added.status_code == 302
    site = db.session.scalars(db.select(ParkSite)).one()
    assert (site.park_id, site.lat, site.lon) == (world.admin.admin_park_id, 39.81, 116.55)
    # without coordinates: the park's location
    client.post(
        "/admin/sites/", data={"csrf_token": token, "name": "西门", "address": "北园路 1 号"}
    )
    west = db.session.scalars(db.select(ParkSite).filter_by(name="西门")).one()
    park = factories.park("north")
    assert (west.lat, west.lon) == (park.lat, park.lon)
    page = client.get("/admin/sites/").get_data(as_text=True)
    assert "危废暂存库" in page and "北园路 8 号" in page
    edit = client.get(f"/admin/sites/{site.id}/edit").get_data(as_text=True)
    assert 'value="危废暂存库"' in edit
    saved = client.post(
        f"/admin/sites/{site.id}/edit",
        data={
            "csrf_token": token,
            "name": "危废库",
            "address": "北园路 9 号",
            "lat": "39.82",
            "lon": "116.56",
        },
    )
    assert saved.status_code == 302
    db.session.refresh(site)
    assert (site.name, site.address, site.lat) == ("危废库", "北园路 9 号", 39.82)
    gone = client.post(f"/admin/sites/{west.id}/delete", data={"csrf_token": token})
    assert gone.status_code == 302 and db.session.get(ParkSite, west.id) is None


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({"name": "", "address": "x"}, "name", "name"),
        ({"name": "A", "address": ""}, "address", "address"),
        ({"name": "A", "address": "x", "lat": "48.8", "lon": "2.35"}, "lon", "outside China"),
        ({"name": "A", "address": "x", "lat": "39.8"}, "lat", "both"),
        ({"name": "东门", "address": "x"}, "name", "already"),
    ],
    ids=["no name", "no address", "Paris", "half coordinates", "a name taken"],
)
def test_a_bad_site_is_refused_beside_its_field(client, world, data, field, says):
    add_site(name="东门")
    db.session.commit()
    login(client, world.admin)
    english(client)
    token = csrf_token(client, "/admin/sites/")
    response = client.post("/admin/sites/", data={"csrf_token": token, **data})
    assert response.status_code == 400
    assert says in _beside(response.get_data(as_text=True), field)
    assert db.session.scalar(db.select(db.func.count(ParkSite.id))) == 1


def test_an_administrator_cannot_touch_another_parks_sites(client, world):
    east = add_site(park_slug="east", name="东园北门", lat=36.7, lon=117.1)
    db.session.commit()
    login(client, world.admin)
    token = csrf_token(client, "/admin/sites/")
    assert "东园北门" not in client.get("/admin/sites/").get_data(as_text=True)
    assert client.get(f"/admin/sites/{east.id}/edit").status_code == 404
    assert (
        client.post(f"/admin/sites/{east.id}/delete", data={"csrf_token": token}).status_code == 404
    )
    assert db.session.get(ParkSite, east.id) is not None


# ---- listings without coordinates ---------------------------------------------------------


def _supply_form(token: str, **extra) -> dict:
    return {
        "csrf_token": token,
        "waste_code": "ISW-17-01-01",
        "title": "冲压边角料 20 吨",
        "local_name": "冲压边角料",
        "quantity": "20",
        "unit": "t",
        "recurrence": "once",
        "available_from": str(clock.today()),
        "available_until": str(clock.today() + timedelta(days=20)),
        "asking_price_yuan": "2000",
        "bidding_mode": "open",
        **extra,
    }


def _post_supply(client, **extra):
    token = csrf_token(client, "/listings/supply/new")
    return client.post("/listings/supply/new", data=_supply_form(token, **extra))


def test_the_supply_form_offers_the_parks_sites_and_hides_the_coordinates(client, world):
    add_site(name="东门")
    add_site(park_slug="east", name="东园北门", lat=36.7, lon=117.1)
    db.session.commit()
    login(client, world.generator)
    page = client.get("/listings/supply/new").get_data(as_text=True)
    assert "东门" in page and "东园北门" not in page  # only the own park's sites
    assert "data-site-picker" in page and "<details" in page  # coordinates folded away


def test_a_listing_on_a_chosen_site_takes_its_coordinates_and_address(client, world):
    site = add_site(name="东门", lat=39.83, lon=116.57, address="北园东门 1 号")
    db.session.commit()
    login(client, world.generator)
    assert _post_supply(client, site_id=str(site.id)).status_code == 302
    lot = db.session.scalars(db.select(SupplyListing)).one()
    assert (lot.address, lot.lat, lot.lon) == ("北园东门 1 号", 39.83, 116.57)


def test_a_typed_address_without_coordinates_is_placed_at_the_park(client, world):
    login(client, world.generator)
    assert _post_supply(client, address="北园仓库 3 号库").status_code == 302
    lot = db.session.scalars(db.select(SupplyListing)).one()
    park = factories.park("north")
    assert (lot.address, lot.lat, lot.lon) == ("北园仓库 3 号库", park.lat, park.lon)


def test_no_address_means_the_enterprises_own_site(client, world):
    enterprise = factories.enterprise(("generator",), lat=39.9, lon=116.6, address="自家厂区")
    owner = factories.user(enterprise)
    db.session.commit()
    login(client, owner)
    assert _post_supply(client).status_code == 302
    lot = db.session.scalars(db.select(SupplyListing)).one()
    assert (lot.address, lot.lat, lot.lon) == ("自家厂区", 39.9, 116.6)


def test_typed_coordinates_are_still_taken_and_checked(client, world):
    login(client, world.generator)
    english(client)
    assert _post_supply(client, address="x", lat="40.1", lon="116.2").status_code == 302
    lot = db.session.scalars(db.select(SupplyListing)).one()
    assert (lot.lat, lot.lon) == (40.1, 116.2)
    refused = _post_supply(client, address="x", lat="48.8", lon="2.35")
    assert refused.status_code == 400
    assert "outside China" in _beside(refused.get_data(as_text=True), "lon")


def test_a_site_of_another_park_is_refused_beside_the_picker(client, world):
    east = add_site(park_slug="east", name="东园北门", lat=36.7, lon=117.1)
    db.session.commit()
    login(client, world.generator)
    english(client)
    response = _post_supply(client, site_id=str(east.id))
    assert response.status_code == 400
    assert "park's sites" in _beside(response.get_data(as_text=True), "site_id")
    assert db.session.scalar(db.select(db.func.count(SupplyListing.id))) == 0


def test_a_demand_listing_takes_a_site_too(client, world):
    site = add_site(name="回收站", lat=39.77, lon=116.49, address="北园回收站")
    db.session.commit()
    login(client, world.recycler)
    token = csrf_token(client, "/listings/demand/new")
    response = client.post(
        "/listings/demand/new",
        data={
            "csrf_token": token,
            "waste_codes": "ISW-17-01-01",
            "title": "收购废钢",
            "licence_id": "0",
            "remaining_capacity_t": "100",
            "service_radius_km": "50",
            "price_offered_yuan": "1800",
            "available_from": str(clock.today()),
            "available_until": str(clock.today() + timedelta(days=90)),
            "site_id": str(site.id),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    demand = db.session.scalars(db.select(DemandListing)).one()
    assert (demand.address, demand.lat, demand.lon) == ("北园回收站", 39.77, 116.49)


# ---- the API ----------------------------------------------------------------------------------


def test_the_api_lists_the_parks_sites_and_takes_a_site_id(client, world):
    site = add_site(name="东门", lat=39.83, lon=116.57, address="北园东门 1 号")
    add_site(park_slug="east", name="东园北门", lat=36.7, lon=117.1)
    db.session.commit()
    h = bearer(world.generator)
    listed = client.get("/api/v1/sites", headers=h).json["sites"]
    assert [s["name"] for s in listed] == ["东门"]
    created = client.post("/api/v1/listings/supply", json=supply_body(site_id=site.id), headers=h)
    assert created.status_code == 201
    assert (created.json["lat"], created.json["lon"], created.json["address"]) == (
        39.83,
        116.57,
        "北园东门 1 号",
    )
    explicit = client.post(
        "/api/v1/listings/supply", json=supply_body(lat=40.0, lon=116.3, address="x"), headers=h
    )
    assert (explicit.json["lat"], explicit.json["lon"]) == (40.0, 116.3)
    moved = client.patch(
        f"/api/v1/listings/supply/{explicit.json['id']}", json={"site_id": site.id}, headers=h
    )
    assert (moved.json["lat"], moved.json["lon"]) == (39.83, 116.57)
    assert client.get("/api/v1/sites").status_code == 401


# ---- enterprise registration ------------------------------------------------------------------


def _register(client, **extra):
    token = csrf_token(client, "/register")
    data = {
        "csrf_token": token,
        "name": "新注册有限公司",
        "uscc": factories.valid_uscc(),
        "roles": ["generator"],
        "park_id": str(factories.park("north").id),
        "contact_name": "李工",
        "contact_phone": "13912345678",
        "user_name": "李四",
        "email": "new@test.example",
        "password": "long-enough-1",
        "confirm": "long-enough-1",
        **extra,
    }
    return client.post("/register", data=data)


def test_registration_takes_a_site_of_the_chosen_park(client, ctx):
    site = add_site(name="东门", lat=39.83, lon=116.57, address="北园东门 1 号")
    db.session.commit()
    page = client.get("/register").get_data(as_text=True)
    assert "东门" in page and f'data-park="{site.park_id}"' in page
    assert _register(client, site_id=str(site.id)).status_code == 302
    e = db.session.scalars(db.select(Enterprise)).one()
    assert (e.address, e.lat, e.lon) == ("北园东门 1 号", 39.83, 116.57)


def test_registration_with_a_typed_address_is_placed_at_the_park(client, ctx):
    assert _register(client, address="北园路 99 号").status_code == 302
    e = db.session.scalars(db.select(Enterprise)).one()
    park = factories.park("north")
    assert (e.address, e.lat, e.lon) == ("北园路 99 号", park.lat, park.lon)


def test_registration_needs_a_site_or_an_address(client, ctx):
    english(client)
    response = _register(client)
    assert response.status_code == 400
    assert "type the address" in _beside(response.get_data(as_text=True), "address")
    assert db.session.scalar(db.select(db.func.count(Enterprise.id))) == 0


def test_registration_refuses_a_site_of_another_park(client, ctx):
    east = add_site(park_slug="east", name="东园北门", lat=36.7, lon=117.1)
    db.session.commit()
    english(client)
    response = _register(client, site_id=str(east.id))
    assert response.status_code == 400
    assert "park's sites" in _beside(response.get_data(as_text=True), "site_id")


# ---- who may use each new route ---------------------------------------------------------------

ROLES = ("anonymous", "generator", "recycler", "transporter", "other", "admin", "admin_elsewhere")
MEMBERS_403 = {"anonymous": LOGIN, "default": 403}


def _expect(row: str, **by_role):
    by_role = dict(by_role)
    default = by_role.pop("default")
    return [(row, role, by_role.get(role, default)) for role in ROLES]


MATRIX = [
    *_expect("GET /admin/sites/", **MEMBERS_403, admin=200, admin_elsewhere=200),
    *_expect("POST /admin/sites/", **MEMBERS_403, admin=400, admin_elsewhere=400),
    *_expect("GET edit site", **MEMBERS_403, admin=200, admin_elsewhere=404),
    *_expect("POST edit site", **MEMBERS_403, admin=400, admin_elsewhere=404),
    *_expect("POST delete site", **MEMBERS_403, admin=302, admin_elsewhere=404),
    *_expect("GET /api/v1/sites", anonymous=401, default=200),
]


def _request(client, key: str, site_id: int):
    method, _, path = key.partition(" ")
    path = {
        "edit site": f"/admin/sites/{site_id}/edit",
        "delete site": f"/admin/sites/{site_id}/delete",
    }.get(path, path)
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": csrf_token(client, "/login")})


@pytest.mark.parametrize(
    ("key", "role", "expected"), MATRIX, ids=[f"{k} as {r}" for k, r, _ in MATRIX]
)
def test_site_route_access(client, world, key, role, expected):
    site = add_site(name="东门")
    db.session.commit()
    if key.startswith("GET /api/"):
        headers = {} if role == "anonymous" else bearer(getattr(world, role))
        assert client.get("/api/v1/sites", headers=headers).status_code == expected
        return
    if role != "anonymous":
        login(client, getattr(world, role))
    response = _request(client, key, site.id)
    if expected == LOGIN:
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]


def test_the_matrix_covers_every_site_route(app):
    ours = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("admin_sites.") or r.endpoint == "api.sites"
    }
    assert ours == {
        "admin_sites.index",
        "admin_sites.create",
        "admin_sites.edit",
        "admin_sites.delete",
        "api.sites",
    }
