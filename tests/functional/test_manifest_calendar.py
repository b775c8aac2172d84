"""The park administrator's calendar and manifest settings: adding, refusing, removing, and
only for one's own park."""

from datetime import date

import pytest
from markupsafe import escape

from market.extensions import db
from market.manifests import calendar
from market.manifests.models import ParkCalendarDay, ParkManifestSettings
from tests import factories
from tests.conftest import csrf_token, login
from tests.functional.test_bad_input import zh

FREE_YEAR = 2031  # a year the official calendar (chinesecalendar) does not cover
COVERED_YEAR = 2025


def test_the_years_used_here_are_covered_and_not(app):
    assert calendar.official_year(COVERED_YEAR) and not calendar.official_year(FREE_YEAR)


def post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/login")})


def days(park_id=None) -> list[ParkCalendarDay]:
    rows = db.session.execute(db.select(ParkCalendarDay).order_by(ParkCalendarDay.day))
    return [r for r in rows.scalars() if park_id is None or r.park_id == park_id]


def test_admin_adds_a_holiday_and_sees_it_on_the_year(client, world):
    login(client, world.admin)
    response = post(
        client,
        "/admin/manifests/calendar/days",
        {"day": "2031-10-01", "until": "2031-10-07", "kind": "holiday", "name": "国庆节"},
    )
    assert response.status_code == 302 and "year=2031" in response.headers["Location"]
    listed = days()
    # 1–7 October 2031: Wednesday to Tuesday; the weekend (4th, 5th) is skipped
    assert [d.day.day for d in listed] == [1, 2, 3, 6, 7]
    assert {d.park_id for d in listed} == {world.admin.admin_park_id}
    page = client.get("/admin/manifests/calendar?year=2031").get_data(as_text=True)
    assert "国庆节" in page and "2031-10-06" in page and "cal-holiday cal-listed" in page


def test_a_make_up_working_day_on_a_saturday(client, world):
    login(client, world.admin)
    response = post(
        client,
        "/admin/manifests/calendar/days",
        {"day": "2031-09-27", "kind": "workday", "name": "国庆调休"},
    )
    assert response.status_code == 302
    assert [(d.day, d.kind) for d in days()] == [(date(2031, 9, 27), "workday")]
    page = client.get("/admin/manifests/calendar?year=2031").get_data(as_text=True)
    assert "cal-makeup cal-listed" in page


OFFICIAL = (
    "The official calendar already decides every day of %(year)d; "
    "the park's list is for the years it does not cover."
)
WEEKDAY = (
    "%(day)s is a weekday: it is a working day anyway. A make-up working day falls on a weekend."
)


@pytest.mark.parametrize(
    ("data", "message", "kwargs"),
    [
        ({"day": "2025-10-09", "kind": "holiday"}, OFFICIAL, {"year": 2025}),
        (
            {"day": "2031-10-04", "kind": "holiday"},
            "%(day)s is a weekend day: it is no working day anyway.",
            {"day": "2031-10-04"},
        ),
        ({"day": "2031-10-06", "kind": "workday"}, WEEKDAY, {"day": "2031-10-06"}),
        (
            {"day": "1999-10-06", "kind": "holiday"},
            "Pick a day between %(a)d and %(b)d.",
            {"a": 2000, "b": 2100},
        ),
        (
            {"day": "2031-10-06", "until": "2031-10-01", "kind": "holiday"},
            "The last day comes before the first.",
            {},
        ),
        (
            {"day": "2031-10-04", "until": "2031-10-05", "kind": "holiday"},
            "These days are all weekend days: no working day to take off.",
            {},
        ),
        (
            {"day": "2031-09-27", "until": "2031-09-28", "kind": "workday"},
            "Make-up working days are added one at a time.",
            {},
        ),
        (
            {"day": "2031-01-01", "until": "2031-03-01", "kind": "holiday"},
            "A holiday spans at most %(n)d days.",
            {"n": 31},
        ),
    ],
)
def test_bad_days_are_refused_clearly(client, world, data, message, kwargs):
    login(client, world.admin)
    response = post(client, "/admin/manifests/calendar/days", {"name": "某节", **data})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert str(escape(zh(message, **kwargs))) in page
    assert days() == []
    assert 'value="某节"' in page  # what was typed stays


@pytest.mark.parametrize(
    "data",
    [
        {"day": "", "kind": "holiday"},
        {"day": "2031-02-30", "kind": "holiday"},
        {"day": "not a day", "kind": "holiday"},
        {"day": "2031-10-06", "kind": "sometimes"},
        {"day": "2031-10-06", "kind": "holiday", "name": "节" * 61},
        {"day": "2031-10-06", "kind": "holiday", "until": "31/10/2031"},
    ],
)
def test_malformed_input_is_a_400_never_a_500(client, world, data):
    login(client, world.admin)
    response = post(client, "/admin/manifests/calendar/days", data)
    assert response.status_code == 400
    assert "invalid-feedback" in response.get_data(as_text=True)
    assert days() == []


def test_a_day_already_listed_is_refused(client, world):
    login(client, world.admin)
    data = {"day": "2031-10-06", "kind": "holiday"}
    assert post(client, "/admin/manifests/calendar/days", data).status_code == 302
    response = post(client, "/admin/manifests/calendar/days", data)
    assert response.status_code == 400 and len(days()) == 1
    assert zh("%(day)s is already on the list.", day="2031-10-06") in response.get_data(
        as_text=True
    )


def test_remove_a_day_only_of_ones_own_park(client, world):
    other_park = factories.park("east")
    foreign = ParkCalendarDay(park_id=other_park.id, day=date(2031, 10, 6), kind="holiday")
    mine = ParkCalendarDay(park_id=world.admin.admin_park_id, day=date(2031, 10, 7), kind="holiday")
    db.session.add_all([foreign, mine])
    db.session.commit()
    login(client, world.admin)
    assert (
        post(client, f"/admin/manifests/calendar/days/{foreign.id}/remove", {}).status_code == 404
    )
    response = post(client, f"/admin/manifests/calendar/days/{mine.id}/remove", {})
    assert response.status_code == 302
    assert [d.park_id for d in days()] == [other_park.id]


def test_the_park_list_is_shown_but_not_used_in_an_official_year(client, world):
    db.session.add(
        ParkCalendarDay(park_id=world.admin.admin_park_id, day=date(2025, 10, 9), kind="holiday")
    )
    db.session.commit()
    login(client, world.admin)
    page = client.get("/admin/manifests/calendar?year=2025").get_data(as_text=True)
    assert zh("the official calendar decides this day") in page
    # 9 October 2025 was an official working day (the National Day week ended on the 8th)
    assert 'class="cal-work" title="2025-10-09"' in page


def test_settings_save_and_refuse_out_of_range(client, world):
    login(client, world.admin)
    data = {"tolerance_pct": "3", "receipt_working_days": "7"}
    assert post(client, "/admin/manifests/settings", data).status_code == 302
    row = db.session.execute(db.select(ParkManifestSettings)).scalar_one()
    assert (row.tolerance_pct, row.receipt_working_days, row.park_id) == (
        3,
        7,
        world.admin.admin_park_id,
    )
    for bad in ({"tolerance_pct": "0"}, {"tolerance_pct": "5.5"}, {"receipt_working_days": "31"}):
        response = post(client, "/admin/manifests/settings", {**data, **bad})
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "invalid-feedback" in page
        assert f'value="{next(iter(bad.values()))}"' in page
    db.session.refresh(row)
    assert (row.tolerance_pct, row.receipt_working_days) == (3, 7)


def test_the_year_parameter_is_checked(client, world):
    login(client, world.admin)
    assert client.get("/admin/manifests/calendar?year=2031").status_code == 200
    assert client.get("/admin/manifests/calendar?year=abc").status_code == 400
    assert client.get("/admin/manifests/calendar?year=99999").status_code == 400


def test_only_the_park_administrator_sees_the_calendar(client, world):
    for user in (world.generator, world.recycler, world.transporter):
        login(client, user)
        assert client.get("/admin/manifests/calendar").status_code == 403
        response = post(client, "/admin/manifests/calendar/days", {"day": "2031-10-06"})
        assert response.status_code == 403
        client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert days() == []
