"""Warning pages: every route against every kind of visitor, the loop through the pages,
and bad input answered with a clear 4xx that changes nothing."""

import io

import pytest

from market import clock
from market.credit.files import Upload
from market.extensions import db
from market.warnings import services
from market.warnings.models import EarlyWarning, WarningEventRow
from market.warnings.rules import Cause, Level, RuleKey, Settings
from market.warnings.states import WarningStatus as S
from tests.conftest import csrf_token, login
from tests.functional.test_access import LOGIN, ROLES

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


def _expect(row: str, **by_role):
    default = by_role.pop("default")
    return [(row, role, by_role.get(role, default)) for role in ROLES]


ADMINS_ONLY = {"anonymous": LOGIN, "admin": 200, "admin_elsewhere": 200, "default": 403}
# Keys name the warning acted on: "low" waits on the generator, "medium" and "high" on the
# administrator of park north, "rectified" was rectified by the generator.
MATRIX = [
    *_expect("GET /warnings/admin/", **ADMINS_ONLY),
    *_expect("GET /warnings/admin/settings", **ADMINS_ONLY),
    *_expect("POST /warnings/admin/settings", anonymous=LOGIN, admin=400, admin_elsewhere=400,
             default=403),
    *_expect("GET /warnings/mine", anonymous=LOGIN, admin=403, admin_elsewhere=403, default=200),
    *_expect("GET low", anonymous=LOGIN, generator=200, admin=200, default=404),
    *_expect("GET file", anonymous=LOGIN, generator=200, admin=200, default=404),
    *_expect("POST answer low", anonymous=LOGIN, generator=400, admin=403, admin_elsewhere=403,
             default=404),
    *_expect("POST forward medium", anonymous=LOGIN, admin=302, admin_elsewhere=404, default=403),
    *_expect("POST accept rectified", anonymous=LOGIN, admin=302, admin_elsewhere=404,
             default=403),
    *_expect("POST return rectified", anonymous=LOGIN, admin=400, admin_elsewhere=404,
             default=403),
    *_expect("POST outcome high", anonymous=LOGIN, admin=400, admin_elsewhere=404, default=403),
]  # fmt: skip


def _raise(world, level: str, key: str, enterprise_id=None) -> EarlyWarning:
    cause = Cause(
        RuleKey.WEIGHT_DISCREPANCY,
        enterprise_id or world.generator.enterprise_id,
        key,
        Level(level),
        {"manifest_id": 1, "declared_kg": 1000, "weighed_kg": 1300, "pct": 30.0},
    )
    return services.raise_cause(world.admin.admin_park_id, cause, clock.today(), Settings())


@pytest.fixture()
def warned(world, app, tmp_path):
    app.config["CREDIT_EVIDENCE_DIR"] = str(tmp_path / "files")
    low, medium, high = (_raise(world, lvl, f"m:{lvl}") for lvl in ("low", "medium", "high"))
    rectified = _raise(world, "medium", "m:rectified")
    services.forward(world.admin, rectified.id)
    services.respond(world.generator, rectified.id, "已整改", [Upload("a.png", PNG)])
    db.session.commit()
    yield {"low": low.id, "medium": medium.id, "high": high.id, "rectified": rectified.id,
           "file": rectified.files[0].id}  # fmt: skip
    app.config["CREDIT_EVIDENCE_DIR"] = ""


def _request(client, key: str, ids: dict):
    method, _, rest = key.partition(" ")
    w = "/warnings"
    paths = {
        "GET low": f"{w}/{ids['low']}",
        "GET file": f"{w}/files/{ids['file']}",
        "POST answer low": f"{w}/{ids['low']}/answer",
        "POST forward medium": f"{w}/{ids['medium']}/forward",
        "POST accept rectified": f"{w}/{ids['rectified']}/accept",
        "POST return rectified": f"{w}/{ids['rectified']}/return",
        "POST outcome high": f"{w}/{ids['high']}/outcome",
    }
    path = paths.get(key, rest)
    if method == "GET":
        response = client.get(path)
        response.close()
        return response
    # Empty forms: a step that needs text is refused with 400; forward and accept take none.
    return client.post(path, data={"csrf_token": csrf_token(client, "/login")})


@pytest.mark.parametrize(("key", "role", "expected"), MATRIX,
                         ids=[f"{k} as {r}" for k, r, _ in MATRIX])  # fmt: skip
def test_warning_route_access(client, world, warned, key, role, expected):
    if role != "anonymous":
        login(client, getattr(world, role))
    response = _request(client, key, warned)
    if expected == LOGIN:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]


def test_the_matrix_covers_every_warning_route(app):
    ours = {rule.endpoint for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("warnings.")}  # fmt: skip
    assert ours == {
        "warnings.console", "warnings.settings_page", "warnings.save_settings", "warnings.mine",
        "warnings.detail", "warnings.file", "warnings.answer", "warnings.forward",
        "warnings.accept", "warnings.return_", "warnings.outcome",
    }  # fmt: skip


# ---- the loop through the pages ----------------------------------------------------------


def _post(client, path: str, **data):
    data["csrf_token"] = csrf_token(client, "/login")
    return client.post(path, data=data, content_type="multipart/form-data")


def test_the_enterprise_answers_with_a_photo_and_the_menu_count_drops(client, world, warned):
    login(client, world.generator)
    page = client.get("/warnings/mine").get_data(as_text=True)
    assert "data-warning-count>1<" in page
    answer = client.get(f"/warnings/{warned['low']}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in answer
    response = _post(client, f"/warnings/{warned['low']}/answer", answer="运输途中撒漏，已复核",
                     files=[(io.BytesIO(PNG), "scale.png")])  # fmt: skip
    assert response.status_code == 302
    row = db.session.get(EarlyWarning, warned["low"])
    db.session.refresh(row)
    assert row.status == S.CLOSED and row.files[0].original_name == "scale.png"
    assert "data-warning-count" not in client.get("/warnings/mine").get_data(as_text=True)


def test_answering_twice_is_a_409_that_changes_nothing(client, world, warned):
    login(client, world.generator)
    _post(client, f"/warnings/{warned['low']}/answer", answer="first")
    response = _post(client, f"/warnings/{warned['low']}/answer", answer="second")
    assert response.status_code == 409
    row = db.session.get(EarlyWarning, warned["low"])
    db.session.refresh(row)
    assert row.answer == "first"


def test_a_file_of_the_wrong_type_is_a_400_beside_the_field(client, world, warned):
    login(client, world.generator)
    response = _post(client, f"/warnings/{warned['low']}/answer", answer="答复",
                     files=[(io.BytesIO(b"MZ\x90\x00binary"), "virus.exe")])  # fmt: skip
    assert response.status_code == 400
    assert "invalid-feedback" in response.get_data(as_text=True)
    row = db.session.get(EarlyWarning, warned["low"])
    db.session.refresh(row)
    assert row.status == S.SENT and not row.files


def test_a_file_too_large_is_a_400_or_413_that_changes_nothing(client, world, warned, app):
    limit = app.config["CREDIT_EVIDENCE_MAX_BYTES"]
    app.config["CREDIT_EVIDENCE_MAX_BYTES"] = 200
    try:
        login(client, world.generator)
        response = _post(client, f"/warnings/{warned['low']}/answer", answer="答复",
                         files=[(io.BytesIO(PNG + b"0" * 300), "big.png")])  # fmt: skip
        assert response.status_code in (400, 413)
    finally:
        app.config["CREDIT_EVIDENCE_MAX_BYTES"] = limit  # the app is shared by the tests
    row = db.session.get(EarlyWarning, warned["low"])
    db.session.refresh(row)
    assert row.status == S.SENT


def test_someone_elses_warning_cannot_be_closed(client, world, warned):
    login(client, world.other)
    assert _post(client, f"/warnings/{warned['low']}/answer", answer="x").status_code == 404
    before = db.session.execute(db.select(db.func.count(WarningEventRow.id))).scalar()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, world.admin_elsewhere)
    assert _post(client, f"/warnings/{warned['high']}/outcome",
                 **{"outcome-outcome": "closed"}).status_code == 404  # fmt: skip
    assert db.session.execute(db.select(db.func.count(WarningEventRow.id))).scalar() == before


def test_the_administrator_works_through_the_console(client, world, warned):
    login(client, world.admin)
    console = client.get("/warnings/admin/?status=open").get_data(as_text=True)
    assert "data-closure-rate" in console and f"#{warned['high']}" in console
    filtered = client.get("/warnings/admin/?level=high&status=").get_data(as_text=True)
    assert f"#{warned['high']}" in filtered and f"#{warned['low']}<" not in filtered
    assert client.get("/warnings/admin/?level=nonsense").status_code == 200  # ignored, said
    assert _post(client, f"/warnings/{warned['medium']}/forward").status_code == 302
    assert _post(client, f"/warnings/{warned['rectified']}/return",
                 **{"return-reason": "照片看不清"}).status_code == 302  # fmt: skip
    assert _post(client, f"/warnings/{warned['high']}/outcome",
                 **{"outcome-outcome": "已约谈企业负责人"}).status_code == 302  # fmt: skip
    statuses = {w: db.session.get(EarlyWarning, warned[w]).status for w in warned if w != "file"}
    assert statuses == {"low": S.SENT, "medium": S.FORWARDED, "high": S.CLOSED,
                        "rectified": S.FORWARDED}  # fmt: skip
    rate = client.get("/warnings/admin/").get_data(as_text=True)
    assert "25.0%" in rate  # one of four closed


def test_settings_page_saves_and_refuses(client, world):
    login(client, world.admin)
    form = services.settings_for(world.admin.admin_park_id).as_dict()
    data = {k: ("y" if v else "") if isinstance(v, bool) else str(v) for k, v in form.items()}
    data = {k: v for k, v in data.items() if v != ""}
    bad = {**data, "discrepancy_low_pct": "30", "discrepancy_high_pct": "20"}
    assert _post(client, "/warnings/admin/settings", **bad).status_code == 400
    data.pop("lot_no_bid_on")
    assert _post(client, "/warnings/admin/settings", **data).status_code == 302
    assert services.settings_for(world.admin.admin_park_id).lot_no_bid_on is False
