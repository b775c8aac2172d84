"""Who gets what: every route against every kind of visitor."""

import pytest

from market.extensions import db
from tests import factories
from tests.conftest import csrf_token, login

ROLES = ("anonymous", "generator", "recycler", "transporter", "other", "admin", "admin_elsewhere")
LOGIN = "login"  # a redirect to the login page


def _expect(row: str, **by_role):
    default = by_role.pop("default")
    return [(row, role, by_role.get(role, default)) for role in ROLES]


# (route key, role, expected status)
MATRIX = [
    *_expect("GET /", default=200),
    *_expect("GET /catalog/?q=废机油", default=200),
    *_expect("GET /catalog/suggest?q=feijiyou", default=200),
    *_expect("GET /login", default=200),
    *_expect("GET /register", default=200),
    *_expect("GET /account", anonymous=LOGIN, default=200),
    *_expect("GET /listings/", default=200),  # anonymous: the public window
    *_expect("GET /listings/?kind=demand&sort=quantity", default=200),
    *_expect("GET open supply", anonymous=LOGIN, default=200),
    *_expect("GET draft supply", anonymous=LOGIN, generator=200, admin=200, default=404),
    *_expect("GET open demand", anonymous=LOGIN, default=200),
    *_expect("GET new supply form", anonymous=LOGIN, generator=200, other=200, default=403),
    *_expect("GET new demand form", anonymous=LOGIN, recycler=200, default=403),
    *_expect("GET edit supply", anonymous=LOGIN, generator=200, default=403),
    *_expect("GET edit demand", anonymous=LOGIN, recycler=200, default=403),
    *_expect("POST withdraw supply", anonymous=LOGIN, generator=302, default=403),
    *_expect("POST publish draft supply", anonymous=LOGIN, generator=302, admin=403, default=404),
    *_expect("POST withdraw demand", anonymous=LOGIN, recycler=302, default=403),
    *_expect("GET /admin/", anonymous=LOGIN, admin=200, admin_elsewhere=200, default=403),
    *_expect(
        "GET /admin/enterprises", anonymous=LOGIN, admin=200, admin_elsewhere=200, default=403
    ),
    *_expect(
        "GET an enterprise of the park",
        anonymous=LOGIN,
        admin=200,
        admin_elsewhere=404,
        default=403,
    ),
    *_expect("GET withdraw supply", anonymous=LOGIN, generator=200, default=403),
    *_expect("GET withdraw demand", anonymous=LOGIN, recycler=200, default=403),
    *_expect("GET /admin/listings", anonymous=LOGIN, admin=200, admin_elsewhere=200, default=403),
    *_expect("POST /account/tokens", anonymous=LOGIN, default=200),
    *_expect("GET supply matches", anonymous=LOGIN, generator=200, admin=200, default=403),
    *_expect("GET demand matches", anonymous=LOGIN, recycler=200, admin=200, default=403),
    *_expect("GET /admin/matching", anonymous=LOGIN, admin=200, admin_elsewhere=200, default=403),
    # only the lot's own enterprise invites; its park's administrator sees the page only
    *_expect("POST invite to bid", anonymous=LOGIN, generator=302, default=403),
    *_expect("POST /account/digest", anonymous=LOGIN, recycler=302, default=403),
    *_expect("POST /logout", anonymous=LOGIN, default=302),
    *_expect(
        "GET /admin/?period=year", anonymous=LOGIN, admin=200, admin_elsewhere=200, default=403
    ),
    *_expect(
        "GET /admin/dashboard/capacity", anonymous=LOGIN, admin=200, admin_elsewhere=200,
        default=403,
    ),
    *_expect(
        "GET /admin/dashboard/manifests?what=closed", anonymous=LOGIN, admin=200,
        admin_elsewhere=200, default=403,
    ),
    *_expect(
        "GET /admin/dashboard/deals", anonymous=LOGIN, admin=200, admin_elsewhere=200,
        default=403,
    ),
    *_expect(
        "GET /admin/dashboard/export/figures.csv", anonymous=LOGIN, admin=200,
        admin_elsewhere=200, default=403,
    ),
    *_expect(
        "GET /admin/dashboard/export/capacity.xlsx", anonymous=LOGIN, admin=200,
        admin_elsewhere=200, default=403,
    ),
    *_expect("GET /admin/desk/", anonymous=LOGIN, admin=200, admin_elsewhere=200, default=403),
    # the matrix's form has no lot: a clear 400 for an administrator
    *_expect(
        "POST /admin/desk/suggest", anonymous=LOGIN, admin=400, admin_elsewhere=400, default=403
    ),
]  # fmt: skip


@pytest.fixture()
def listings(world):
    rows = {
        "open supply": factories.supply(world.generator),
        "draft supply": factories.supply(world.generator, publish=False),
        "open demand": factories.demand(world.recycler),
    }
    db.session.commit()
    return {
        **{k: v.id for k, v in rows.items()},
        "generator enterprise": world.generator.enterprise_id,
        "recycler enterprise": world.recycler.enterprise_id,
    }


def _request(client, key: str, ids: dict):
    paths = {
        "GET open supply": f"/listings/supply/{ids['open supply']}",
        "GET draft supply": f"/listings/supply/{ids['draft supply']}",
        "GET open demand": f"/listings/demand/{ids['open demand']}",
        "GET new supply form": "/listings/supply/new",
        "GET new demand form": "/listings/demand/new",
        "GET edit supply": f"/listings/supply/{ids['open supply']}/edit",
        "GET edit demand": f"/listings/demand/{ids['open demand']}/edit",
        "POST withdraw supply": f"/listings/supply/{ids['open supply']}/withdraw",
        "POST publish draft supply": f"/listings/supply/{ids['draft supply']}/publish",
        "POST withdraw demand": f"/listings/demand/{ids['open demand']}/withdraw",
        "GET withdraw supply": f"/listings/supply/{ids['open supply']}/withdraw",
        "GET withdraw demand": f"/listings/demand/{ids['open demand']}/withdraw",
        "GET an enterprise of the park": f"/admin/enterprises/{ids['generator enterprise']}",
        "GET supply matches": f"/matching/supply/{ids['open supply']}",
        "GET demand matches": f"/matching/demand/{ids['open demand']}",
        "POST invite to bid": f"/matching/supply/{ids['open supply']}/invite",
    }
    method, _, path = key.partition(" ")
    path = paths.get(key, path)
    if method == "GET":
        return client.get(path)
    data = {"csrf_token": csrf_token(client, "/login"), "name": "ci", "confirm": "y"}
    data |= {"enterprise_id": ids["recycler enterprise"], "match_digest": "y"}
    return client.post(path, data=data)


@pytest.mark.parametrize(
    ("key", "role", "expected"), MATRIX, ids=[f"{k} as {r}" for k, r, _ in MATRIX]
)
def test_route_access(client, world, listings, key, role, expected):
    if role != "anonymous":
        login(client, getattr(world, role))
    response = _request(client, key, listings)
    if expected == LOGIN:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]


API = [
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/enterprises"),
    ("GET", "/api/v1/listings/supply"),
    ("GET", "/api/v1/listings/demand"),
    ("POST", "/api/v1/listings/supply"),
    ("GET", "/api/v1/listings/supply/1/matches"),
    ("GET", "/api/v1/credit/mine"),
    ("GET", "/api/v1/warnings"),
    ("POST", "/api/v1/warnings/1/answer"),
]


@pytest.mark.parametrize(("method", "path"), API)
def test_api_refuses_calls_without_a_valid_token(client, world, method, path):
    for headers in ({}, {"Authorization": "Bearer wx_not-a-token"}, {"Authorization": "Basic x"}):
        response = client.open(path, method=method, headers=headers, json={})
        assert response.status_code == 401
        assert response.is_json and response.json["error"]["message"]


def test_api_ignores_the_session_cookie(client, world):
    login(client, world.generator)
    assert client.get("/api/v1/me").status_code == 401


def test_openapi_description_is_public_and_lists_the_listing_paths(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    assert {"/api/v1/listings/supply", "/api/v1/listings/demand", "/api/v1/catalog/search"} <= set(
        paths
    )


def test_every_code_field_has_the_autocomplete(client, world):
    login(client, world.recycler)
    for path in ("/listings/demand/new", "/account/licences", "/listings/"):
        assert "data-code-autocomplete" in client.get(path).get_data(as_text=True), path
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, world.generator)
    assert "data-code-autocomplete" in client.get("/listings/supply/new").get_data(as_text=True)


# Credit grading: every route of the credit pages, the register and its API.
ADMINS = {"admin": 200, "admin_elsewhere": 200}
MEMBERS_403 = {"anonymous": LOGIN, "default": 403}
CREDIT_MATRIX = [
    *_expect("GET /credit/admin/", **MEMBERS_403, **ADMINS),
    *_expect("GET /credit/admin/open", **MEMBERS_403, **ADMINS),
    *_expect("POST /credit/admin/open", **MEMBERS_403, admin=400, admin_elsewhere=400),
    *_expect("GET /credit/admin/settings", **MEMBERS_403, **ADMINS),
    *_expect("POST /credit/admin/settings", **MEMBERS_403, admin=400, admin_elsewhere=400),
    *_expect("POST /credit/admin/checklist", **MEMBERS_403, admin=400, admin_elsewhere=400),
    *_expect("GET /credit/mine", anonymous=LOGIN, admin=403, admin_elsewhere=403, default=200),
    *_expect("GET /credit/register/", default=200),
    *_expect("GET /credit/register/export.csv", default=200),
    *_expect("GET /credit/register/export.xlsx", default=200),
    *_expect("GET /api/v1/credit/register", default=200),
    *_expect("GET published evaluation", anonymous=LOGIN, generator=200, admin=200, default=404),
    *_expect("GET draft evaluation", anonymous=LOGIN, admin=200, default=404),
    *_expect("GET short link", anonymous=LOGIN, generator=302, admin=302, default=404),
    *_expect("GET evidence", anonymous=LOGIN, generator=200, admin=200, default=404),
    # a park administrator's posts on the draft (of the recycler) / the published (generator)
    *_expect("POST mark draft", **MEMBERS_403, admin=302, admin_elsewhere=404),
    *_expect("POST refresh draft", **MEMBERS_403, admin=302, admin_elsewhere=404),
    *_expect("POST submit draft", **MEMBERS_403, admin=302, admin_elsewhere=404),
    *_expect("POST approve submitted", **MEMBERS_403, admin=403, admin_elsewhere=404),
    *_expect("POST return submitted", **MEMBERS_403, admin=400, admin_elsewhere=404),
    *_expect("POST cancel draft", **MEMBERS_403, admin=400, admin_elsewhere=404),
    *_expect("POST decide published", **MEMBERS_403, admin=400, admin_elsewhere=404),
    *_expect("POST remove evidence", **MEMBERS_403, admin=302, admin_elsewhere=404),
    *_expect("GET /credit/admin/violations/", **MEMBERS_403, **ADMINS),
    *_expect("POST /credit/admin/violations/", **MEMBERS_403, admin=400, admin_elsewhere=400),
    *_expect("POST confirm violation", **MEMBERS_403, admin=403, admin_elsewhere=403),
    *_expect("POST dismiss violation", **MEMBERS_403, admin=400, admin_elsewhere=400),
    *_expect(
        "POST appeal published",
        anonymous=LOGIN,
        generator=400,
        admin=403,
        admin_elsewhere=403,
        default=404,
    ),  # fmt: skip
]


@pytest.fixture()
def credit(world, app, tmp_path):
    from market import clock
    from market.credit import services
    from market.credit.files import Upload
    from tests import credit_flow

    app.config["CREDIT_EVIDENCE_DIR"] = str(tmp_path / "evidence")
    second = credit_flow.admins("north", 1)[0]
    published = credit_flow.published(world.admin, second, world.generator.enterprise)
    draft = services.open_evaluation(world.admin, world.recycler.enterprise.id)
    submitted = credit_flow.submitted(world.admin, world.transporter.enterprise)
    evidence = services.attach_evidence(
        world.admin, draft.id, draft.marks[0].item_key, Upload("a.pdf", b"%PDF-1.4\n")
    )
    shown = services.attach_evidence(  # on the published one, by the second administrator
        second, draft.id, draft.marks[1].item_key, Upload("b.png", b"\x89PNG\r\n\x1a\n0")
    )
    shown.evaluation_id, shown.mark_id = published.id, published.marks[0].id
    violation = services.report_violation(
        world.admin, world.other.enterprise_id, clock.today(), "偷排"
    )
    db.session.commit()
    yield {"published": published.id, "draft": draft.id, "submitted": submitted.id,
           "draft mark": draft.marks[0].id, "evidence": shown.id,
           "draft evidence": evidence.id, "violation": violation.id}  # fmt: skip
    app.config["CREDIT_EVIDENCE_DIR"] = ""


def _credit_request(client, key: str, ids: dict):
    e = "/credit/evaluations"
    paths = {
        "GET published evaluation": f"{e}/{ids['published']}",
        "GET draft evaluation": f"{e}/{ids['draft']}",
        "GET evidence": f"/credit/evidence/{ids['evidence']}",
        "GET short link": f"/credit/{ids['published']}",
        "POST mark draft": f"{e}/{ids['draft']}/marks/{ids['draft mark']}",
        "POST refresh draft": f"{e}/{ids['draft']}/refresh",
        "POST submit draft": f"{e}/{ids['draft']}/submit",
        "POST approve submitted": f"{e}/{ids['submitted']}/approve",
        "POST return submitted": f"{e}/{ids['submitted']}/return",
        "POST cancel draft": f"{e}/{ids['draft']}/cancel",
        "POST decide published": f"{e}/{ids['published']}/decide",
        "POST remove evidence": f"/credit/evidence/{ids['draft evidence']}/remove",
        "POST appeal published": f"{e}/{ids['published']}/appeal",
        "POST confirm violation": f"/credit/admin/violations/{ids['violation']}/confirm",
        "POST dismiss violation": f"/credit/admin/violations/{ids['violation']}/dismiss",
    }
    method, _, path = key.partition(" ")
    path = paths.get(key, path)
    if method == "GET":
        response = client.get(path)
        response.close()  # evidence files are streamed
        return response
    data = {"csrf_token": csrf_token(client, "/login"), "name": "ci"}
    return client.post(path, data=data)


@pytest.mark.parametrize(
    ("key", "role", "expected"),
    CREDIT_MATRIX,
    ids=[f"{k} as {r}" for k, r, _ in CREDIT_MATRIX],
)
def test_credit_route_access(client, world, credit, key, role, expected):
    if role != "anonymous":
        login(client, getattr(world, role))
    response = _credit_request(client, key, credit)
    if expected == LOGIN:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]


def test_the_credit_matrix_covers_every_credit_route(app):
    covered = {
        "credit.admin_index", "credit.short_link", "credit.open_page", "credit.settings_page",
        "credit.save_settings",
        "credit.save_item", "credit.mine", "credit.detail", "credit.evidence", "credit.mark",
        "credit.refresh", "credit.submit", "credit.approve", "credit.return_", "credit.cancel",
        "credit.decide", "credit.remove_evidence", "credit.appeal", "credit_register.page",
        "credit_register.export", "api.credit_register", "api.credit_mine",
        "credit_violations.index", "credit_violations.report", "credit_violations.confirm",
        "credit_violations.dismiss",
    }  # fmt: skip
    ours = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(
            ("credit.", "credit_register.", "credit_violations.", "api.credit_")
        )
    }
    assert ours == covered
    assert len({k for k, _r, _e in CREDIT_MATRIX}) == 28
