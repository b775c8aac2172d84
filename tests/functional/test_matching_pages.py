"""一键匹配 as users see it: pages, API, the park's settings, sorting by match."""

from datetime import timedelta
from decimal import Decimal

from market import clock
from market.accounts.models import ParkMatchSettings
from market.extensions import db
from market.listings.models import DemandListing
from market.matching import reference, service
from tests import factories
from tests.conftest import csrf_token, login
from tests.functional.test_api import bearer

TODAY = clock.today()


def recycler(codes=("ISW-17-01-01",), km_north=0.0, grade=None, radius=50, **demand):
    park = factories.park()
    enterprise = factories.enterprise(
        ("recycler",), lat=park.lat + km_north / 111.195, lon=park.lon
    )
    if grade:
        factories.graded(enterprise, grade, valid_until=TODAY + timedelta(days=700))
    licence = factories.licence(enterprise, codes=list(codes))
    user = factories.user(enterprise)
    demand.setdefault("title", f"收购 {codes[0]} 距 {km_north} 公里")
    row = factories.demand(
        user, waste_codes=list(codes), licence_id=licence.id, service_radius_km=radius, **demand
    )
    return user, row


def scenario(world):
    lot = factories.supply(
        world.generator,
        waste_code="ISW-17-01-01",
        title="冲压边角料",
        local_name="边角料",
        quantity=Decimal("20"),
    )
    _, near = recycler(km_north=3, grade="B")
    _, far = recycler(km_north=30, grade="A")
    _, outside = recycler(km_north=60, radius=50)
    _, graded_d = recycler(km_north=1, grade="D")
    _, hazardous_only = recycler(codes=("900-214-08",), km_north=2)
    db.session.commit()
    return lot, near, far, outside, graded_d, hazardous_only


def test_a_generator_sees_ranked_recyclers_and_why_others_are_out(client, world):
    lot, near, far, outside, graded_d, _ = scenario(world)
    login(client, world.generator)
    page = client.get(f"/matching/supply/{lot.id}").get_data(as_text=True)
    assert page.index(near.title) < page.index(far.title)
    assert "超出对方服务半径" in page and "信用等级为 D" in page
    assert f"#{graded_d.id}" in page
    assert "条通过了所有硬性筛选" in page and "每条在架的挂牌只计一次" in page


def test_the_api_returns_the_same_ranking_with_its_parts(client, world):
    lot, near, far, outside, graded_d, _ = scenario(world)
    body = client.get(
        f"/api/v1/listings/supply/{lot.id}/matches", headers=bearer(world.generator)
    ).json
    assert [m["listing"]["id"] for m in body["matches"]] == [near.id, far.id]
    top = body["matches"][0]
    assert top["parts"]["code"] == 1.0 and top["parts"]["grade"] == "B"
    assert 2.9 < top["parts"]["distance_km"] < 3.1
    reasons = {e["filter"]: e for e in body["excluded"]}
    assert set(reasons["radius"]["examples"]) <= {outside.id}
    assert reasons["credit"]["examples"] == [graded_d.id]


def test_the_exclusion_counts_are_those_of_the_plain_loop_over_every_open_listing(client, world):
    lot, *_ = scenario(world)
    body = client.get(
        f"/api/v1/listings/supply/{lot.id}/matches", headers=bearer(world.generator)
    ).json
    rows = service._demand_rows(service._open(DemandListing, TODAY))
    plain = reference.ranking(
        service.supply_of(lot, TODAY),
        [service.demand_of(r, TODAY) for r in rows],
        service.settings_for(lot.enterprise.park_id),
        TODAY,
    )
    assert {e["filter"]: e["count"] for e in body["excluded"]} == {
        str(name): n for name, n in plain.excluded.items()
    }
    assert plain.excluded["code"] == 1  # the hazardous-only recycler, in another category
    assert (body["candidates"], body["eligible"]) == (len(rows), plain.eligible)


def test_a_recycler_sees_ranked_lots_for_its_demand(client, world):
    lot, near, *_ = scenario(world)
    owner = near.created_by
    login(client, owner)
    page = client.get(f"/matching/demand/{near.id}").get_data(as_text=True)
    assert lot.title in page


def test_a_new_lot_is_matched_at_once_in_this_process(client, world):
    lot, near, *_ = scenario(world)
    headers = bearer(world.generator)
    assert client.get(f"/api/v1/listings/supply/{lot.id}/matches", headers=headers).json["matches"]
    _, newcomer = recycler(km_north=0.5, grade="A")
    db.session.commit()
    body = client.get(f"/api/v1/listings/supply/{lot.id}/matches", headers=headers).json
    assert body["matches"][0]["listing"]["id"] == newcomer.id


def test_supply_browse_can_sort_by_match(client, world):
    lot, near, *_ = scenario(world)
    second = factories.supply(
        world.other, waste_code="ISW-17-08-01", title="废纸箱", local_name="纸箱"
    )
    db.session.commit()
    login(client, near.created_by)
    page = client.get("/listings/?kind=supply&sort=match").get_data(as_text=True)
    assert page.index(lot.title) < page.index(second.title)


def _post_settings(client, **overrides):
    data = {
        "w_code": "0.35",
        "w_distance": "0.25",
        "w_capacity": "0.2",
        "w_credit": "0.2",
        "grade_a": "1",
        "grade_b": "0.8",
        "grade_c": "0.5",
        "grade_none": "0.6",
        "default_radius_km": "50",
        "road_factor": "1.0",
        "notify_min_score": "0.7",
        "notify_top_n": "10",
        "preview_id": "0",
    }
    data.update(overrides)
    data["csrf_token"] = csrf_token(client, "/admin/matching")
    return client.post("/admin/matching", data=data)


def test_park_admin_previews_then_saves_weights(client, world):
    lot, near, far, *_ = scenario(world)
    login(client, world.admin)
    preview = _post_settings(
        client,
        w_code="0.1",
        w_distance="0.1",
        w_capacity="0.1",
        w_credit="0.7",
        preview="1",
        preview_id=str(lot.id),
    )
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "按上方数值" in html
    assert db.session.execute(db.select(ParkMatchSettings)).first() is None  # not saved
    saved = _post_settings(
        client,
        w_code="0.1",
        w_distance="0.1",
        w_capacity="0.1",
        w_credit="0.7",
        save="1",
        default_radius_km="80",
    )
    assert saved.status_code == 302
    row = service.settings_row(factories.park().id)
    assert (row.w_credit, row.default_radius_km) == (0.7, 80)
    ranking = service.rank_demand_for(lot)
    assert ranking.matches[0].id == far.id  # grade A now outweighs distance


def test_bad_settings_are_refused(client, world):
    login(client, world.admin)
    for bad in (
        {"w_code": "0.9"},
        {"grade_a": "0.1"},
        {"road_factor": "NaN"},
        {"default_radius_km": "0"},
        {"w_distance": "-0.25", "w_code": "0.85"},
    ):
        assert _post_settings(client, save="1", **bad).status_code == 400, bad
    assert db.session.execute(db.select(ParkMatchSettings)).first() is None


def test_the_default_radius_prefills_the_demand_form(client, world):
    db.session.add(ParkMatchSettings(park_id=factories.park().id, default_radius_km=120))
    db.session.commit()
    login(client, world.recycler)
    assert 'value="120"' in client.get("/listings/demand/new").get_data(as_text=True)
