"""The park dashboard's figures against a park with known numbers, its exports, bad
periods, and the capacity gaps."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from market.extensions import db
from tests import dashboard_world
from tests.conftest import login


@pytest.fixture()
def park(world):
    return dashboard_world.make(world)


@pytest.fixture()
def admin(client, world):
    return login(client, world.admin)


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def csv_rows(client, path: str) -> list[list[str]]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


FIGURES = ("enterprises", "generators", "recyclers", "transporters", "open supply",
           "open demand", "deals", "median days", "tonnes", "started", "closed", "closure %",
           "utilisation %", "warnings open", "warnings closed")  # fmt: skip


def figures(client, args: str) -> dict[str, str]:
    """The figures table by position (the test client keeps the first request's language)."""
    table = csv_rows(client, f"/admin/dashboard/export/figures.csv?{args}")
    assert len(table[0]) == 3
    return {key: row[1] for key, row in zip(FIGURES, table[1:], strict=True)}


def test_headline_figures_are_worked_out_from_the_rows(client, park, admin):
    got = figures(client, park.args())
    assert got["enterprises"] == "7"  # the world's 4 and the 3 recyclers who won the deals
    assert got["generators"] == "2"  # the world's generator and "other"
    assert got["recyclers"] == "4"  # the world's recycler and the 3 winners
    assert got["transporters"] == "1"
    assert got["open supply"] == "1"  # other's open lot; the draft and the awarded lots not
    assert got["open demand"] == "3"  # the winners' demands
    assert got["deals"] == "2"  # made 20 days ago; the one 60 days ago is outside
    assert got["median days"] == "4.0"  # waits of 2 and 6 days
    assert got["tonnes"] == "20.0"  # 10 + 6 + 4 t received in the period
    assert got["started"] == "3"  # two closed, one in transit; the cancelled one never started
    assert got["closed"] == "2"
    assert got["closure %"] == "66.7"
    assert got["utilisation %"] == "70.0"  # (10 + 4) / 20
    assert (got["warnings open"], got["warnings closed"]) == ("0", "0")


def test_warnings_raised_in_the_period_count_open_and_closed(client, world, park, admin):
    from market.uploads import Upload
    from market.warnings import services
    from tests.integration.test_warnings import PNG, raised

    raised(world, "low", key="a")
    answered = raised(world, "low", key="b")
    services.respond(world.generator, answered.id, "已整改", [Upload("a.png", PNG)])
    db.session.commit()
    assert figures(client, park.args())["warnings open"] == "0"  # the period ended 10 days ago
    got = figures(client, "period=month")
    assert (got["warnings open"], got["warnings closed"]) == ("1", "1")
    assert "50.0%" in page(client, "/admin/?period=month")


def test_grade_distribution_counts_the_ungraded(client, park, admin):
    rows = csv_rows(client, f"/admin/dashboard/export/grades.csv?{park.args()}")[1:]
    assert [r[1] for r in rows] == ["1", "1", "0", "0", "5"]  # A, B, C, D, ungraded
    assert [r[0] for r in rows[:4]] == ["A", "B", "C", "D"]


def test_trends_cover_twelve_months_and_add_up(client, park, admin):
    client.get("/lang/en")
    table = csv_rows(client, f"/admin/dashboard/export/trends.csv?{park.args()}")
    months = table[1:]
    assert len(months) >= 12
    assert sum(float(r[1]) for r in months) == pytest.approx(24.5)  # all but the one after
    assert sum(int(r[2]) for r in months) == 3
    assert sum(int(r[3]) for r in months) == 7
    assert sum(int(r[4]) for r in months) == 6


def test_the_dashboard_page_shows_and_links_the_figures(client, park, admin):
    html = page(client, f"/admin/?{park.args()}")
    assert "66.7%" in html and "70.0%" in html
    assert (
        f"/admin/dashboard/manifests?what=closed&amp;period=custom&amp;start={park.start}" in html
    )
    assert "/admin/listings?kind=supply&amp;status=open" in html
    assert "/admin/enterprises?role=recycler" in html
    data = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S)
    assert data and '"sankey"' in data.group(1)


def test_the_rows_behind_the_closure_rate(client, park, admin):
    html = page(client, f"/admin/dashboard/manifests?what=started&{park.args()}")
    assert html.count("/manifests/") >= 3
    started = page(client, f"/admin/dashboard/manifests?what=started&{park.args()}")
    closed = page(client, f"/admin/dashboard/manifests?what=closed&{park.args()}")
    assert len(re.findall(r'href="/manifests/\d+"', started)) == 3
    assert len(re.findall(r'href="/manifests/\d+"', closed)) == 2
    deals = page(client, f"/admin/dashboard/deals?{park.args()}")
    assert len(re.findall(r'href="/deals/\d+"', deals)) == 2


def test_sankey_links_industry_class_treatment_receiver(client, park, admin):
    rows = csv_rows(client, f"/admin/dashboard/export/flows.csv?{park.args()}")[1:]
    # utilised 10 + 4 t, disposed 6 t, all from the steel class to the one receiver
    assert sorted(float(r[4]) for r in rows) == [6.0, 14.0]
    assert {r[1].split()[0] for r in rows} == {"ISW-17"}


def test_xlsx_export_opens_with_openpyxl(client, park, admin):
    response = client.get(f"/admin/dashboard/export/capacity.xlsx?{park.args()}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.max_row == 4  # header + 3 classes
    assert sheet["A2"].value == "HW49"


def test_capacity_gaps(client, park, admin):
    table = csv_rows(client, f"/admin/dashboard/export/capacity.csv?{park.args()}")
    by_class = {r[0]: r for r in table[1:]}
    assert [r[0] for r in table[1:]] == ["HW49", "ISW-17", "HW08"]  # no outlet first
    hw49, steel, oil = by_class["HW49"], by_class["ISW-17"], by_class["HW08"]
    # oily rags: 2 t a year, the only licence is in Jinan, beyond the 50 km radius
    assert hw49[3:7] == ["2.0", "0.0", "0.0", "0"]
    # steel: the 999 t filing ended before the twelve months; the 3 dealt lots of 20 t were
    # offered; 4 licences of 5,000 t nearby
    assert steel[3:7] == ["100.0", "60.0", "20000.0", "4"]
    # went: 10 + 6 + 3 + 4 t in the park (not the 2 t after the period), 1 t to Beijing's
    # other park (same province), 0.5 t to Jinan (farther)
    assert steel[7:10] == ["23.0", "1.0", "0.5"]
    assert hw49[-1] != steel[-1] == oil[-1]  # "no outlet nearby" against "covered"
    assert oil[3:7] == ["5.0", "0.0", "5000.0", "1"]  # other's lot was offered after the year
    html = page(client, f"/admin/dashboard/capacity?{park.args()}")
    assert "table-danger" in html and "HW49" in html


@pytest.mark.parametrize(
    "query",
    [
        "period=custom&start=2026-13-01&end=2026-01-01",
        "period=custom&start=2026-05-01",
        "period=custom&start=2026-05-01&end=2026-04-01",
        "period=custom&start=1999-01-01&end=2000-01-05",
        "period=custom&start=2001-01-01&end=2026-01-01",
        "period=custom&start=2026-01-01&end=2999-01-01",
        "period=week",
    ],
)
def test_a_bad_period_is_refused_with_a_message(client, world, admin, query):
    html = page(client, f"/admin/?{query}", status=400)
    assert "invalid-feedback" in html or "alert-danger" in html
    page(client, f"/admin/dashboard/capacity?{query}", status=400)
    page(client, f"/admin/dashboard/manifests?{query}", status=400)
    response = client.get(f"/admin/dashboard/export/figures.csv?{query}")
    assert response.status_code == 400


@pytest.mark.parametrize("kind", ["month", "quarter", "year"])
def test_standard_periods_render(client, world, admin, kind):
    page(client, f"/admin/?period={kind}")


def test_an_unknown_table_is_not_found(client, world, admin):
    assert client.get("/admin/dashboard/export/nope.csv").status_code == 404


def test_another_parks_admin_sees_only_their_own_park(client, park):
    login(client, park.world.admin_elsewhere)
    got = figures(client, park.args())
    assert got["deals"] == "0" and got["enterprises"] == "1"  # east's far recycler
    assert got["started"] == "0" and got["tonnes"] == "0.0"


def test_echarts_is_served_locally_and_the_page_works_without_it(client, world, admin, monkeypatch):
    from market.admin import dashboard_views

    html = page(client, "/admin/")
    if dashboard_views.ECHARTS.is_file():
        assert '<script src="/vendor/echarts.min.js">' in html
        response = client.get("/vendor/echarts.min.js")
        assert response.status_code == 200 and b"echarts" in response.data[:2000]
        response.close()
    assert "cdn" not in html.lower()
    monkeypatch.setattr(dashboard_views, "ECHARTS", dashboard_views.ECHARTS.with_name("gone.js"))
    html = page(client, "/admin/")
    assert "/vendor/echarts.min.js" not in html and "npm ci" in html
    assert client.get("/vendor/echarts.min.js").status_code == 404
