"""The filing, ledger and filing-status pages: filing through the page, bad input, downloads."""

import csv
import io
from datetime import date

import pytest
from flask_babel import refresh
from openpyxl import load_workbook

from market.extensions import db
from market.manifests.filings import FilingInput, file_generation
from market.manifests.models import Filing, FilingTier
from tests import ledger_factories as lf
from tests.conftest import csrf_token, login

STEEL = "ISW-17-01-01"


@pytest.fixture()
def generator(client, world):
    lf.tier(world.generator.enterprise, "monthly", date(2025, 1, 1))
    db.session.commit()
    login(client, world.generator)
    return world


def _file(client, key: str, kg="120", code=STEEL):
    data = {"csrf_token": csrf_token(client, "/ledgers/filings"), "waste_code": code,
            "period_key": key, "generated_kg": kg}  # fmt: skip
    return client.post("/ledgers/filings", data=data)


def _filings() -> list[tuple[str, int]]:
    rows = db.session.execute(db.select(Filing.period_key, Filing.generated_kg)).all()
    return [tuple(r) for r in rows]


def test_a_generator_files_through_the_page_and_sees_it_filed(client, generator):
    response = _file(client, "2025-03")
    assert response.status_code == 302
    assert _filings() == [("2025-03", 120)]
    page = client.get("/ledgers/filings").get_data(as_text=True)
    assert "逾期申报" in page and "2025-03" in page and "立即申报" in page  # 2025-04 … still open


@pytest.mark.parametrize(
    ("key", "status", "zh", "en"),
    [
        ("2999-01", 400, "尚未结束", "has not ended"),
        ("2025-Q1", 400, "不是该类周期", "is not one"),
        ("2025-00", 400, "01 至 12", "01 to 12"),
    ],
)
def test_a_bad_period_is_refused_in_the_users_language(client, generator, key, status, zh, en):
    response = _file(client, key)
    assert response.status_code == status and zh in response.get_data(as_text=True)
    client.get("/lang/en")
    refresh()  # the tests share one app context, where Flask-Babel caches the locale
    response = _file(client, key)
    assert response.status_code == status and en in response.get_data(as_text=True)
    assert _filings() == []


def test_a_duplicate_filing_is_a_409_that_changes_nothing(client, generator):
    _file(client, "2025-03", kg="10")
    response = _file(client, "2025-03", kg="99")
    assert response.status_code == 409 and "已申报过" in response.get_data(as_text=True)
    assert _filings() == [("2025-03", 10)]


@pytest.mark.parametrize("kg", ["-5", "abc", "1.5", ""])
def test_a_bad_weight_is_a_400(client, generator, kg):
    assert _file(client, "2025-03", kg=kg).status_code == 400
    assert _filings() == []


def test_a_correction_through_the_page_needs_a_reason(client, generator):
    _file(client, "2025-03", kg="10")
    filing_id = db.session.execute(db.select(Filing.id)).scalar_one()
    path = f"/ledgers/filings/{filing_id}/amend"
    data = {"csrf_token": csrf_token(client, path), "generated_kg": "15", "reason": ""}
    assert client.post(path, data=data).status_code == 400
    data["reason"] = "称重单据补录"
    assert client.post(path, data=data).status_code == 302
    assert _filings() == [("2025-03", 15)]
    assert "称重单据补录" in client.get(path).get_data(as_text=True)


def test_the_ledger_page_and_its_downloads(client, generator):
    _file(client, "2025-03", kg="4321")
    own = generator.generator.enterprise_id
    window = "kind=month&start=2025-01-01&end=2025-06-30"
    page = client.get(f"/ledgers/?{window}").get_data(as_text=True)
    assert (
        "4,321" in page and "2025-06" in page and f"/ledgers/enterprises/{own}/ledger.xlsx" in page
    )
    xlsx = client.get(f"/ledgers/enterprises/{own}/ledger.xlsx?{window}")
    assert xlsx.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in xlsx.headers["Content-Disposition"]
    flow = load_workbook(io.BytesIO(xlsx.data))["流向汇总"]
    assert [(r[2], r[3]) for r in flow.iter_rows(min_row=2, values_only=True)][:3] == [
        ("2025-01", 0), ("2025-02", 0), ("2025-03", 4321)]  # fmt: skip
    body = client.get(f"/ledgers/enterprises/{own}/ledger.csv?table=generation&{window}").data
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "申报编号" and rows[1][8] == "4321"


@pytest.mark.parametrize(
    "query",
    [
        "kind=decade",
        "start=2025-13-01",
        "start=2025-06-01&end=2025-01-01",
        "kind=week&start=2000-01-01&end=2025-01-01",
    ],
)
def test_a_bad_ledger_window_is_a_400(client, generator, query):
    own = generator.generator.enterprise_id
    assert client.get(f"/ledgers/?{query}").status_code == 400
    assert client.get(f"/ledgers/enterprises/{own}/ledger.xlsx?{query}").status_code == 400


def test_an_unknown_csv_table_is_a_400(client, generator):
    own = generator.generator.enterprise_id
    response = client.get(f"/ledgers/enterprises/{own}/ledger.csv?table=secrets")
    assert response.status_code == 400 and "没有该台账表" in response.get_data(as_text=True)


def test_the_park_administrator_sees_every_generator_and_sets_a_tier(client, world):
    for user in (world.generator, world.other):
        lf.tier(user.enterprise, "monthly", date(2025, 1, 1))
    file_generation(world.generator, FilingInput(STEEL, "2025-01", 5))  # owes STEEL from now on
    db.session.commit()
    login(client, world.admin)
    page = client.get("/ledgers/status?start=2025-01-01&end=2025-12-31").get_data(as_text=True)
    assert world.generator.enterprise.name in page and world.other.enterprise.name in page
    assert world.recycler.enterprise.name not in page  # not a generator
    only = client.get("/ledgers/status?start=2025-01-01&end=2025-12-31&show=missing")
    assert world.generator.enterprise.name in only.get_data(as_text=True)
    assert world.other.enterprise.name not in only.get_data(as_text=True)  # owes no code
    gen = world.generator.enterprise_id
    path = f"/ledgers/enterprises/{gen}/tier"
    data = {"csrf_token": csrf_token(client, f"/ledgers/enterprises/{gen}"),
            "period_kind": "quarterly", "effective_from": "2026-01-01"}  # fmt: skip
    assert client.post(path, data=data).status_code == 302
    kinds = db.session.execute(
        db.select(FilingTier.period_kind)
        .filter_by(enterprise_id=gen)
        .order_by(FilingTier.effective_from)
    ).scalars()
    assert list(kinds) == ["monthly", "quarterly"]
    assert client.get("/ledgers/status?start=2025-12-31&end=2025-01-01").status_code == 400
