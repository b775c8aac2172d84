"""The warnings API: who sees and moves which warning (the access matrix), the loop through
the API with the same lifecycle as the pages, and bad input answered in the caller's
language with nothing changed."""

import pytest
from flask_babel import refresh

from market import clock
from market.extensions import db
from market.warnings import services
from market.warnings.models import EarlyWarning, WarningEventRow
from market.warnings.rules import Cause, Level, RuleKey, Settings
from market.warnings.states import WarningStatus as S
from tests.functional.test_access import ROLES
from tests.functional.test_api import bearer

API = "/api/v1/warnings"
EN = {"Accept-Language": "en"}


def _expect(row: str, **by_role):
    default = by_role.pop("default")
    return [(row, role, by_role.get(role, default)) for role in ROLES]


# "low" waits on the generator; "medium" and "high" on park north's administrator;
# "rectified" was rectified by the generator. Bodies are valid, so what differs is who asks.
MATRIX = [
    *_expect("GET list", anonymous=401, default=200),
    *_expect("GET low", anonymous=401, generator=200, admin=200, default=404),
    *_expect("POST answer low", anonymous=401, generator=200, admin=403, admin_elsewhere=403,
             default=404),
    *_expect("POST forward medium", anonymous=401, admin=200, admin_elsewhere=404, default=403),
    *_expect("POST accept rectified", anonymous=401, admin=200, admin_elsewhere=404,
             default=403),
    *_expect("POST return rectified", anonymous=401, admin=200, admin_elsewhere=404,
             default=403),
    *_expect("POST outcome high", anonymous=401, admin=200, admin_elsewhere=404, default=403),
]  # fmt: skip
BODIES = {
    "answer": {"text": "已处理"},
    "forward": {},
    "accept": {"note": "合格"},
    "return": {"reason": "照片不清楚"},
    "outcome": {"outcome": "已约谈"},
}


def _raise(world, level: str, key: str, enterprise_id=None, rule=RuleKey.LOT_NO_BID):
    cause = Cause(rule, enterprise_id or world.generator.enterprise_id, key, Level(level),
                  {"listing_id": 1, "title": "废铜", "days": 30})  # fmt: skip
    return services.raise_cause(world.admin.admin_park_id, cause, clock.today(), Settings())


@pytest.fixture()
def warned(world):
    low, medium, high = (_raise(world, lvl, f"l:{lvl}") for lvl in ("low", "medium", "high"))
    rectified = _raise(world, "medium", "l:rectified")
    services.forward(world.admin, rectified.id)
    services.respond(world.generator, rectified.id, "已整改")
    db.session.commit()
    return {"low": low.id, "medium": medium.id, "high": high.id, "rectified": rectified.id}


def _call(client, key: str, ids: dict, headers: dict):
    method, _, rest = key.partition(" ")
    if key == "GET list":
        return client.get(API, headers=headers)
    if method == "GET":
        return client.get(f"{API}/{ids[rest]}", headers=headers)
    step, target = rest.split(" ")
    return client.post(f"{API}/{ids[target]}/{step}", json=BODIES[step], headers=headers)


@pytest.mark.parametrize(("key", "role", "expected"), MATRIX,
                         ids=[f"{k} as {r}" for k, r, _ in MATRIX])  # fmt: skip
def test_warning_api_access(client, world, warned, key, role, expected):
    headers = {} if role == "anonymous" else bearer(getattr(world, role))
    response = _call(client, key, warned, headers)
    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    assert response.is_json
    if expected >= 400:
        assert response.json["error"]["message"]


def test_the_api_covers_the_loop_of_the_pages(app):
    ours = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("api.warning")}
    assert ours == {"api.warnings", "api.warning", "api.warning_answer", "api.warning_forward",
                    "api.warning_accept", "api.warning_return", "api.warning_outcome"}  # fmt: skip


def test_each_sees_only_its_own(client, world, warned):
    other_enterprise = _raise(world, "low", "l:other", world.recycler.enterprise_id)
    db.session.commit()
    mine = client.get(API, headers=bearer(world.generator)).json
    assert {w["id"] for w in mine["items"]} == set(warned.values())
    assert all(w["enterprise"]["id"] == world.generator.enterprise_id for w in mine["items"])
    park = client.get(API, headers=bearer(world.admin)).json
    assert {w["id"] for w in park["items"]} == {*warned.values(), other_enterprise.id}
    assert client.get(API, headers=bearer(world.admin_elsewhere)).json["total"] == 0
    assert client.get(API, headers=bearer(world.transporter)).json["total"] == 0


def test_filters_by_state_level_and_category(client, world, warned):
    h = bearer(world.admin)
    assert {w["id"] for w in client.get(f"{API}?level=high", headers=h).json["items"]} == {
        warned["high"]
    }
    waiting = client.get(f"{API}?waiting=true", headers=h).json["items"]
    assert {w["id"] for w in waiting} == {warned["medium"], warned["high"], warned["rectified"]}
    assert all(w["waits_on"] == "administrator" for w in waiting)
    rectified = client.get(f"{API}?status=rectified", headers=h).json["items"]
    assert [w["id"] for w in rectified] == [warned["rectified"]]
    assert client.get(f"{API}?status=open&category=transfer", headers=h).json["total"] == 4
    assert client.get(f"{API}?category=stock", headers=h).json["total"] == 0
    mine = client.get(f"{API}?waiting=1", headers=bearer(world.generator)).json["items"]
    assert [w["id"] for w in mine] == [warned["low"]]


def test_the_loop_through_the_api(client, world, warned):
    g, a = bearer(world.generator), bearer(world.admin)
    answered = client.post(f"{API}/{warned['low']}/answer", json={"text": "已发布降价"}, headers=g)
    assert answered.status_code == 200, answered.json
    assert answered.json["status"] == "closed" and answered.json["answer"] == "已发布降价"
    assert [s["event"] for s in answered.json["steps"]] == ["raise", "answer"]
    forwarded = client.post(f"{API}/{warned['medium']}/forward", json={}, headers=a).json
    assert forwarded["status"] == "forwarded" and forwarded["due_on"]
    sent = client.post(f"{API}/{warned['medium']}/answer", json={"text": "已整改"}, headers=g)
    assert sent.json["status"] == "rectified" and sent.json["waits_on"] == "administrator"
    back = client.post(f"{API}/{warned['medium']}/return", json={"reason": "不够"}, headers=a)
    assert back.json["status"] == "forwarded"
    client.post(f"{API}/{warned['medium']}/answer", json={"text": "再整改"}, headers=g)
    done = client.post(f"{API}/{warned['medium']}/accept", headers=a)
    assert done.status_code == 200, done.json
    assert done.json["status"] == "closed" and done.json["closed_on"]
    high = client.post(f"{API}/{warned['high']}/outcome", json={"outcome": "罚款"}, headers=a)
    assert high.json["status"] == "closed" and high.json["outcome"] == "罚款"
    assert db.session.get(EarlyWarning, warned["high"]).status == S.CLOSED


def test_a_high_warning_is_not_forwarded_and_twice_is_refused(client, world, warned):
    a, g = {**bearer(world.admin), **EN}, {**bearer(world.generator), **EN}
    refused = client.post(f"{API}/{warned['high']}/forward", json={}, headers=a)
    assert refused.status_code == 409
    assert "outcome" in refused.json["error"]["message"]
    client.post(f"{API}/{warned['low']}/answer", json={"text": "ok"}, headers=g)
    twice = client.post(f"{API}/{warned['low']}/answer", json={"text": "again"}, headers=g)
    assert twice.status_code == 409 and twice.json["error"]["message"]


def _events(warning_id: int) -> int:
    return db.session.scalar(
        db.select(db.func.count(WarningEventRow.id)).filter_by(warning_id=warning_id)
    )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("answer", {}, "text"),
        ("answer", {"text": ""}, "answer"),
        ("answer", {"text": "x" * 2001}, "text"),
        ("answer", {"text": 5}, "text"),
        ("answer", {"text": "ok", "files": []}, "files"),
    ],
)
def test_bad_answers_are_refused_in_the_callers_language(client, world, warned, path, body, field):
    before = _events(warned["low"])
    for lang in ("zh-CN", "en"):
        refresh()  # the tests share one app context, where Babel keeps the locale
        headers = {**bearer(world.generator), "Accept-Language": lang}
        response = client.post(f"{API}/{warned['low']}/{path}", json=body, headers=headers)
        assert response.status_code == 400, response.json
        error = response.json["error"]
        assert field in error.get("fields", {}) or field in error["message"], error
        if lang == "en":
            assert error["message"].isascii(), error
        else:
            assert not error["message"].isascii(), error
    db.session.expire_all()
    assert _events(warned["low"]) == before
    assert db.session.get(EarlyWarning, warned["low"]).status == S.SENT


def test_bad_query_and_body_and_ids(client, world, warned):
    h = {**bearer(world.admin), **EN}
    bad = client.get(f"{API}?level=urgent", headers=h)
    assert bad.status_code == 400 and "level" in bad.json["error"]["fields"]
    assert client.get(f"{API}?page=0", headers=h).status_code == 400
    assert client.get(f"{API}/99999999999", headers=h).status_code == 404
    raw = client.post(f"{API}/{warned['high']}/outcome", data="nope", headers=h,
                      content_type="application/json")  # fmt: skip
    assert raw.status_code == 400 and raw.is_json
    blank = client.post(f"{API}/{warned['high']}/outcome", json={"outcome": "  "}, headers=h)
    assert blank.status_code == 400 and "outcome" in blank.json["error"]["fields"]
    db.session.expire_all()
    assert db.session.get(EarlyWarning, warned["high"]).status == S.RAISED


def test_the_description_lists_the_warning_operations(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/warnings", "/api/v1/warnings/{warning_id}",
            "/api/v1/warnings/{warning_id}/answer",
            "/api/v1/warnings/{warning_id}/outcome"} <= set(paths)  # fmt: skip
    assert set(paths["/api/v1/warnings/{warning_id}/forward"]["post"]["responses"]) >= {
        "200", "400", "401", "403", "404", "409"}  # fmt: skip
