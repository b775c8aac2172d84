"""Credit grading in the browser: the two administrators' workflow, the enterprise's
grade and appeal, evidence uploads and who may read them, settings and the register."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from market import clock
from market.credit import services
from market.credit.models import Evaluation, EvidenceFile
from market.credit.settings import SETTING_FIELDS
from market.extensions import db
from tests import credit_flow, factories
from tests.conftest import csrf_token, login
from tests.integration.test_credit_online import trade  # noqa: F401  (the fixture)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test\n"


def logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


def as_user(client, user):
    logout(client)
    login(client, user)
    return client


def post(client, path, data=None, page=None, **kwargs):
    body = {"csrf_token": csrf_token(client, page or "/account"), **(data or {})}
    return client.post(path, data=body, **kwargs)


@pytest.fixture(autouse=True)
def evidence_dir(app, tmp_path):
    limit = app.config["CREDIT_EVIDENCE_MAX_BYTES"]
    app.config["CREDIT_EVIDENCE_DIR"] = str(tmp_path / "evidence")
    yield
    app.config["CREDIT_EVIDENCE_DIR"] = ""
    app.config["CREDIT_EVIDENCE_MAX_BYTES"] = limit


def fetch(client, url):
    """GET a file and close the response (send_file leaves the file open otherwise)."""
    response = client.get(url)
    status, data, mimetype, headers = (
        response.status_code, response.get_data(), response.mimetype, dict(response.headers)
    )  # fmt: skip
    response.close()
    return status, data, mimetype, headers


@pytest.fixture()
def second(world):
    return credit_flow.admins("north", 2)


def test_two_administrators_grade_an_enterprise_in_the_browser(client, world, second):
    enterprise = world.generator.enterprise
    login(client, world.admin)
    page = client.get("/credit/admin/open").get_data(as_text=True)
    assert enterprise.name in page
    response = post(client, "/credit/admin/open", {"enterprise": enterprise.id})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    evaluation = db.session.execute(
        db.select(Evaluation).filter_by(enterprise_id=enterprise.id)
    ).scalar_one()
    path = f"/credit/evaluations/{evaluation.id}"
    html = client.get(path).get_data(as_text=True)
    assert "固体废物管理制度" in html and f"m{evaluation.marks[0].id}-points" in html
    for mark in evaluation.marks:
        data = {f"m{mark.id}-points": str(mark.max_points), f"m{mark.id}-note": "现场核查"}
        if mark.position == evaluation.marks[0].position:
            data[f"m{mark.id}-file"] = (io.BytesIO(PNG), "site.png")
        response = post(
            client, f"{path}/marks/{mark.id}", data, page=path,
            content_type="multipart/form-data",
        )  # fmt: skip
        assert response.status_code == 302, response.get_data(as_text=True)[:400]
    assert len(evaluation.evidence) == 1
    assert post(client, f"{path}/submit", page=path).status_code == 302
    db.session.refresh(evaluation)
    assert evaluation.status == "submitted"

    html = client.get(path).get_data(as_text=True)
    assert f"/credit/evaluations/{evaluation.id}/approve" not in html
    assert post(client, f"{path}/approve", page=path).status_code == 403

    as_user(client, second[0])
    html = client.get(path).get_data(as_text=True)
    assert f"{path}/approve" in html
    assert post(client, f"{path}/approve", {"note": "同意"}, page=path).status_code == 302
    db.session.refresh(evaluation)
    assert (evaluation.status, evaluation.grade) == ("published", "A")

    as_user(client, world.generator)
    mine = client.get("/credit/mine").get_data(as_text=True)
    assert "grade-a" in mine and "site.png" in mine
    evidence = evaluation.evidence[0]
    status, data, mimetype, _headers = fetch(client, f"/credit/evidence/{evidence.id}")
    assert (status, data, mimetype) == (200, PNG, "image/png")


def test_a_second_administrator_returns_with_a_reason_and_the_grader_sees_it(client, world, second):
    evaluation = credit_flow.submitted(world.admin, world.generator.enterprise)
    path = f"/credit/evaluations/{evaluation.id}"
    login(client, second[0])
    empty = post(client, f"{path}/return", {"return-reason": "  "}, page=path)
    assert empty.status_code == 400
    response = post(client, f"{path}/return", {"return-reason": "证据照片不清晰"}, page=path)
    assert response.status_code == 302
    as_user(client, world.admin)
    html = client.get(path).get_data(as_text=True)
    assert "证据照片不清晰" in html


def test_uploads_are_checked_by_content_and_size(client, app, world):
    evaluation = services.open_evaluation(world.admin, world.generator.enterprise.id)
    db.session.commit()
    mark = evaluation.marks[0]
    path = f"/credit/evaluations/{evaluation.id}"
    login(client, world.admin)
    fake = post(
        client, f"{path}/marks/{mark.id}",
        {f"m{mark.id}-points": "5", f"m{mark.id}-file": (io.BytesIO(b"MZ not a png"), "x.png")},
        page=path, content_type="multipart/form-data",
    )  # fmt: skip
    assert fake.status_code == 400
    assert "PNG" in fake.get_data(as_text=True) or "PDF" in fake.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(EvidenceFile.id))) == 0
    assert db.session.get(type(mark), mark.id).points_tenths is None  # nothing half-written

    app.config["CREDIT_EVIDENCE_MAX_BYTES"] = 1024
    big = post(
        client, f"{path}/marks/{mark.id}",
        {f"m{mark.id}-file": (io.BytesIO(PDF + b"0" * 1100), "big.pdf")},
        page=path, content_type="multipart/form-data",
    )  # fmt: skip
    assert big.status_code == 400 and "big.pdf" not in big.get_data(as_text=True)
    huge = post(
        client, f"{path}/marks/{mark.id}",
        {f"m{mark.id}-file": (io.BytesIO(PDF + b"0" * 300_000), "huge.pdf")},
        page=path, content_type="multipart/form-data",
    )  # fmt: skip
    assert huge.status_code == 413
    assert db.session.scalar(db.select(db.func.count(EvidenceFile.id))) == 0


def test_evidence_is_served_only_to_the_enterprise_and_its_park_administrators(
    client, world, second
):
    evaluation = services.open_evaluation(world.admin, world.generator.enterprise.id)
    credit_flow.mark_all(world.admin, evaluation)
    from market.credit.files import Upload

    row = services.attach_evidence(
        world.admin, evaluation.id, evaluation.marks[0].item_key, Upload("证明.pdf", PDF)
    )
    db.session.commit()
    url = f"/credit/evidence/{row.id}"
    login(client, world.generator)
    assert client.get(url).status_code == 404  # not yet published
    for user in (world.other, world.recycler, world.admin_elsewhere):
        as_user(client, user)
        assert client.get(url).status_code == 404
    as_user(client, world.admin)
    status, data, _mimetype, headers = fetch(client, url)
    assert (status, data) == (200, PDF)
    assert headers["X-Content-Type-Options"] == "nosniff"
    services.submit_evaluation(world.admin, evaluation.id)
    services.approve_evaluation(second[0], evaluation.id)
    db.session.commit()
    as_user(client, world.generator)
    assert fetch(client, url)[0] == 200
    logout(client)
    assert client.get(url).status_code == 302


def test_the_enterprise_appeals_once_and_an_administrator_who_did_not_grade_decides(
    client, world, second
):
    evaluation = credit_flow.published(world.admin, second[0], world.generator.enterprise, 0.8)
    path = f"/credit/evaluations/{evaluation.id}"
    login(client, world.generator)
    assert "appeal" in client.get(path).get_data(as_text=True)
    no_reason = post(client, f"{path}/appeal", {"reason": ""}, page=path)
    assert no_reason.status_code == 400
    response = post(
        client, f"{path}/appeal",
        {"reason": "减量化措施已落实", "files": [(io.BytesIO(PDF), "整改.pdf")]},
        page=path, content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    db.session.refresh(evaluation)
    assert evaluation.status == "appealed" and len(evaluation.appeal.evidence) == 1
    again = post(client, f"{path}/appeal", {"reason": "再次申诉"}, page=path)
    assert again.status_code == 409
    db.session.refresh(evaluation)
    assert evaluation.appeal.reason == "减量化措施已落实"

    as_user(client, world.admin)  # the grader
    assert f"{path}/decide" not in client.get(path).get_data(as_text=True)
    as_user(client, second[1])
    assert f"{path}/decide" in client.get(path).get_data(as_text=True)
    decided = post(
        client, f"{path}/decide",
        {"outcome": "changed", "new_grade": "A", "note": "整改材料属实"}, page=path,
    )  # fmt: skip
    assert decided.status_code == 302
    db.session.refresh(evaluation)
    assert (evaluation.status, evaluation.grade) == ("changed", "A")


def test_settings_and_checklist_refuse_bad_input_with_a_message(client, world):
    login(client, world.admin)
    page = client.get("/credit/admin/settings").get_data(as_text=True)
    values = {
        name: re.search(rf'name="{name}"[^>]*value="(\d+)"', page).group(1)
        for name in SETTING_FIELDS  # the warning deductions among them
    }
    assert values["warning_high_tenths"] == "20"
    bad = post(client, "/credit/admin/settings", {**values, "offline": "70"})
    assert bad.status_code == 400 and "100" in bad.get_data(as_text=True)
    text = post(client, "/credit/admin/settings", {**values, "appeal_days": "abc"})
    assert text.status_code == 400
    good = post(client, "/credit/admin/settings", {**values, "threshold_a_tenths": "920"})
    assert good.status_code == 302
    item = {"key": "generator.training", "role": "generator", "label_zh": "培训",
            "label_en": "Training", "max_points": "10", "position": "9", "active": "y"}  # fmt: skip
    assert post(client, "/credit/admin/checklist", {**item, "max_points": "500"}).status_code == 400
    assert post(client, "/credit/admin/checklist", item).status_code == 302
    assert "培训" in client.get("/credit/admin/settings").get_data(as_text=True)


def _register_world(world):
    second = credit_flow.admins("north", 1)[0]
    credit_flow.published(world.admin, second, world.generator.enterprise, 1)
    credit_flow.published(world.admin, second, world.recycler.enterprise, 0.5)
    return world.generator.enterprise, world.recycler.enterprise


def test_the_public_register_lists_grades_without_scores_and_filters(client, world):
    good, poor = _register_world(world)
    html = client.get("/credit/register/?park=north").get_data(as_text=True)
    assert good.name in html and poor.name in html and good.uscc in html
    assert "grade-a" in html
    only_a = client.get("/credit/register/?park=north&grade=A").get_data(as_text=True)
    assert good.name in only_a and poor.name not in only_a
    by_role = client.get("/credit/register/?park=north&role=recycler").get_data(as_text=True)
    assert poor.name in by_role and good.name not in by_role
    assert client.get("/credit/register/?park=north&grade=Z").status_code == 400
    assert good.name in client.get("/credit/register/?lang=en").get_data(as_text=True)
    assert client.get("/credit/register/?park=nowhere").status_code == 400
    assert client.get("/api/v1/credit/register?park=nowhere").status_code == 404


def test_the_register_exports_as_csv_and_xlsx(client, world):
    good, poor = _register_world(world)
    body = client.get("/credit/register/export.csv?park=north").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 3
    by_uscc = {r[1]: r for r in rows[1:]}
    assert by_uscc[good.uscc][0] == good.name and by_uscc[good.uscc][3].startswith("A")
    assert by_uscc[poor.uscc][3][0] in "BCD"
    assert all(len(r) == 6 for r in rows)  # name, USCC, roles, grade, published, valid until
    totals = db.session.execute(db.select(Evaluation.total_tenths)).scalars()
    assert not any(f"{t // 10}.{t % 10}" in body for t in totals)  # no scores
    book = load_workbook(io.BytesIO(client.get("/credit/register/export.xlsx?park=north").data))
    sheet = book.active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(cells) == 3 and {cells[1][1], cells[2][1]} == {good.uscc, poor.uscc}


def test_the_register_api_is_public_and_filterable(client, world):
    good, poor = _register_world(world)
    reply = client.get("/api/v1/credit/register?park=north")
    assert reply.status_code == 200
    entries = reply.json["entries"]
    assert {e["uscc"] for e in entries} == {good.uscc, poor.uscc}
    assert set(entries[0]) == {"enterprise_id", "name", "uscc", "roles", "grade", "colour",
                               "published_on", "valid_until"}  # fmt: skip
    graded_a = client.get("/api/v1/credit/register?park=north&grade=A").json["entries"]
    assert [e["uscc"] for e in graded_a] == [good.uscc]
    bad = client.get("/api/v1/credit/register?grade=Z")
    assert bad.status_code == 400 and "grade" in bad.json["error"]["fields"]


def test_grade_badges_show_in_the_trading_hall_and_on_bids(client, world):
    factories.graded(world.generator.enterprise, "B")
    factories.supply(world.generator)
    db.session.commit()
    login(client, world.recycler)
    html = client.get("/listings/").get_data(as_text=True)
    assert "grade-badge grade-b" in html


def test_park_administrators_read_the_park_inbox(client, world, second):
    credit_flow.published(world.admin, second[0], world.generator.enterprise, 0.8)
    services.file_appeal(world.generator, db.session.execute(
        db.select(Evaluation.id).filter_by(enterprise_id=world.generator.enterprise_id)
    ).scalar_one(), "申诉理由")  # fmt: skip
    db.session.commit()
    login(client, world.admin)
    html = client.get("/inbox/").get_data(as_text=True)
    assert world.generator.enterprise.name in html
    as_user(client, world.admin_elsewhere)
    assert world.generator.enterprise.name not in client.get("/inbox/").get_data(as_text=True)


def test_the_api_gives_a_member_its_own_grade_and_refuses_administrators(client, world):
    from market.accounts.auth import issue_token

    factories.graded(world.generator.enterprise, "C")
    _row, plain = issue_token(world.generator, "ci")
    _row, admin_plain = issue_token(world.admin, "ci")
    _row, other_plain = issue_token(world.other, "ci")
    db.session.commit()
    mine = client.get("/api/v1/credit/mine", headers={"Authorization": f"Bearer {plain}"})
    assert mine.status_code == 200
    assert (mine.json["grade"], mine.json["colour"]) == ("C", "yellow")
    other = client.get("/api/v1/credit/mine", headers={"Authorization": f"Bearer {other_plain}"})
    assert other.json["grade"] is None
    admin = client.get("/api/v1/credit/mine", headers={"Authorization": f"Bearer {admin_plain}"})
    assert admin.status_code == 403


def test_every_online_figure_links_to_the_rows_behind_it(client, trade):  # noqa: F811
    evaluation = services.open_evaluation(trade.admin, trade.generator.enterprise_id)
    db.session.commit()
    login(client, trade.admin)
    html = client.get(f"/credit/evaluations/{evaluation.id}").get_data(as_text=True)
    assert f'href="/manifests/{trade.mar.id}"' in html  # the negative stock
    assert f'href="/manifests/{trade.jan.id}"' in html  # the weight discrepancy
    ledger = f"/ledgers/enterprises/{trade.generator.enterprise_id}?start="
    assert html.count(ledger) >= 3  # two late filings and the correction
    for jan in (f"filing #{trade.filed[0].id}", f"#{trade.filed[1].id}"):
        assert jan in html or jan.replace("filing", "申报") in html
    assert "6.7 / 20" in html and "12.0 / 20" in html  # the provisional online parts


def test_a_violation_reported_by_one_administrator_is_confirmed_by_another_and_forces_d(
    client, world, second
):
    from market.credit.models import Violation

    credit_flow.published(world.admin, second[0], world.generator.enterprise, 1)
    login(client, world.admin)
    page = "/credit/admin/violations/"
    assert world.generator.enterprise.name in client.get(page).get_data(as_text=True)
    report = {"enterprise": world.generator.enterprise_id, "description": "非法倾倒危险废物"}
    future = post(client, page, {**report, "occurred_on": "2999-01-01"}, page=page)
    assert future.status_code == 400
    day = clock.today().isoformat()
    done = post(client, page, {**report, "occurred_on": day}, page=page)
    assert done.status_code == 302
    violation = db.session.execute(db.select(Violation)).scalar_one()
    own = post(client, f"{page}{violation.id}/confirm", page=page)
    assert own.status_code == 403  # the reporter never decides
    as_user(client, second[1])
    assert post(client, f"{page}{violation.id}/dismiss", page=page).status_code == 400
    assert post(client, f"{page}{violation.id}/confirm", page=page).status_code == 302
    db.session.expire_all()
    assert world.generator.enterprise.credit_grade == "D"
