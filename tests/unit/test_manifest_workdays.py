from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.manifests.workdays import (
    MAX_WORKING_DAYS,
    Due,
    Rule,
    WorkingCalendar,
    add_working_days,
    is_working_day,
    official_working_day,
    receipt_due,
    shadowed,
    working_days_between,
)

D = date.fromisoformat
OFFICIAL = WorkingCalendar()


def capped(last_year: int):
    """The official source as installed today (data to 2026), whatever a later release adds."""

    def official(day: date):
        return official_working_day(day) if day.year <= last_year else None

    return official


def park(holidays=(), workdays=()) -> WorkingCalendar:
    return WorkingCalendar(
        park_holidays=frozenset(map(D, holidays)),
        park_workdays=frozenset(map(D, workdays)),
        official=capped(2026),
    )


# A park's list for 2027 as an administrator might enter it (hypothetical: not the
# State Council's arrangement): New Year's Day, and Spring Festival 2027-02-05..11
# with make-up Saturday 2027-02-20.
PARK_2027 = park(
    holidays=["2027-01-01", *(f"2027-02-{d:02}" for d in range(5, 12))],
    workdays=["2027-02-20"],
)


def test_the_package_raises_not_implemented_outside_its_years_and_the_wrapper_says_none():
    with pytest.raises(NotImplementedError, match="no available data for year 2003"):
        chinese_calendar.is_workday(D("2003-06-02"))
    assert official_working_day(D("2003-06-02")) is None
    assert official_working_day(D("2026-10-10")) is True  # a make-up Saturday


def test_an_ordinary_friday_pickup_is_due_the_next_friday():
    assert receipt_due(D("2026-11-27"), OFFICIAL) == Due(D("2026-12-04"), Rule.OFFICIAL)


@pytest.mark.parametrize("pickup", ["2026-11-27", "2026-11-28", "2026-11-29"])
def test_friday_saturday_and_sunday_pickups_share_a_due_date(pickup):
    assert receipt_due(D(pickup), OFFICIAL).date == D("2026-12-04")


@pytest.mark.parametrize(
    ("pickup", "due"),
    [
        # Spring Festival 2026: off 02-15..02-23, make-up Saturdays 02-14 and 02-28.
        ("2026-02-13", "2026-02-27"),  # 02-14 (Sat) counts as day 1, then 02-24..02-27
        ("2026-02-14", "2026-02-28"),  # picked up on the make-up day: 24, 25, 26, 27, 28 (Sat)
        ("2026-02-16", "2026-02-28"),  # picked up during the holiday: 24..27, then Saturday 28
        ("2026-02-12", "2026-02-26"),  # 13, 14, then 24, 25, 26
        # Mid-Autumn and National Day 2026: off 09-25..09-27 and 10-01..10-07,
        # make-up Sunday 09-20 and Saturday 10-10.
        ("2026-09-18", "2026-09-24"),  # 20 (Sun), 21, 22, 23, 24
        ("2026-09-24", "2026-10-09"),  # 28, 29, 30, then 10-08, 10-09
        ("2026-09-30", "2026-10-13"),  # 10-08, 10-09, 10-10 (Sat), 10-12, 10-13
        ("2026-10-09", "2026-10-15"),  # 10 (Sat), 12, 13, 14, 15
    ],
)
def test_statutory_holidays_and_make_up_days_of_2026(pickup, due):
    assert receipt_due(D(pickup), OFFICIAL) == Due(D(due), Rule.OFFICIAL)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-02-14", True),
        ("2026-02-16", False),
        ("2026-02-23", False),
        ("2026-02-28", True),
        ("2026-09-20", True),
        ("2026-09-25", False),
        ("2026-10-07", False),
        ("2026-10-10", True),
        ("2026-10-11", False),
    ],
)
def test_single_days_of_2026_follow_the_official_calendar(day, working):
    assert is_working_day(D(day), OFFICIAL) == (working, Rule.OFFICIAL)


def test_a_span_within_2026_is_decided_by_the_official_calendar():
    assert receipt_due(D("2026-12-24"), park()) == Due(D("2026-12-31"), Rule.OFFICIAL)


def test_crossing_into_2027_without_a_park_list_counts_new_years_day_as_a_weekday():
    assert receipt_due(D("2026-12-25"), park()) == Due(D("2027-01-01"), Rule.MIXED)


def test_crossing_into_2027_uses_the_park_list_for_2027_days():
    # 28, 29, 30, 31 under the official calendar, 2027-01-01 off by the park's list.
    assert receipt_due(D("2026-12-25"), PARK_2027) == Due(D("2027-01-04"), Rule.MIXED)


def test_inside_an_uncovered_year_weekdays_decide():
    assert receipt_due(D("2027-03-01"), park()) == Due(D("2027-03-08"), Rule.PARK_LIST)


def test_the_park_list_moves_a_due_date_over_its_holidays_and_onto_its_make_up_saturday():
    # 02-01..02-04, then 02-05..02-11 off, 02-12 is day 5.
    assert receipt_due(D("2027-01-29"), PARK_2027) == Due(D("2027-02-12"), Rule.PARK_LIST)
    # From 02-16: 17, 18, 19, then the make-up Saturday 02-20 is day 4 and Monday day 5.
    assert receipt_due(D("2027-02-16"), PARK_2027) == Due(D("2027-02-22"), Rule.PARK_LIST)
    assert receipt_due(D("2027-02-16"), park()).date == D("2027-02-23")
    assert is_working_day(D("2027-02-20"), PARK_2027) == (True, Rule.PARK_LIST)
    assert is_working_day(D("2027-02-20"), park()) == (False, Rule.PARK_LIST)


def test_the_park_list_overrides_nothing_in_covered_years():
    meddling = park(holidays=["2026-12-28", "2026-12-29"], workdays=["2026-10-03"])
    assert receipt_due(D("2026-12-24"), meddling) == Due(D("2026-12-31"), Rule.OFFICIAL)
    assert is_working_day(D("2026-12-28"), meddling) == (True, Rule.OFFICIAL)
    assert is_working_day(D("2026-10-03"), meddling) == (False, Rule.OFFICIAL)
    assert shadowed(meddling) == [D("2026-10-03"), D("2026-12-28"), D("2026-12-29")]
    assert shadowed(PARK_2027) == []


@pytest.mark.parametrize("n", [0, -1, -5, MAX_WORKING_DAYS + 1])
def test_out_of_range_counts_are_refused(n):
    with pytest.raises(ValueError, match="between 1 and"):
        add_working_days(D("2026-11-27"), n, OFFICIAL)


@pytest.mark.parametrize("n", [True, 1.0, "5", None])
def test_counts_that_are_not_ints_are_refused(n):
    with pytest.raises(TypeError):
        add_working_days(D("2026-11-27"), n, OFFICIAL)


def test_a_datetime_is_refused_because_its_day_depends_on_the_zone():
    with pytest.raises(TypeError, match="business day"):
        add_working_days(datetime(2026, 11, 27, 16, 0), 5, OFFICIAL)
    with pytest.raises(TypeError):
        is_working_day(datetime(2026, 11, 27, 16, 0), OFFICIAL)


def test_a_day_both_off_and_working_in_the_park_list_is_refused():
    with pytest.raises(ValueError, match="2027-02-20"):
        park(holidays=["2027-02-20"], workdays=["2027-02-20"])


def test_park_list_entries_must_be_dates():
    with pytest.raises(TypeError, match="park_holidays"):
        WorkingCalendar(park_holidays=frozenset({"2027-01-01"}))


def test_one_working_day_after_the_last_day_before_a_holiday_is_the_first_day_after_it():
    assert add_working_days(D("2026-09-30"), 1, OFFICIAL) == Due(D("2026-10-08"), Rule.OFFICIAL)


def test_lateness_counts_working_days_after_the_due_date():
    due = receipt_due(D("2026-09-30"), OFFICIAL).date  # 2026-10-13, a Tuesday
    assert working_days_between(due, due, OFFICIAL) == (0, Rule.OFFICIAL)
    assert working_days_between(due, D("2026-10-14"), OFFICIAL).days == 1
    assert working_days_between(due, D("2026-10-19"), OFFICIAL).days == 4  # the weekend is free
    assert working_days_between(due, D("2026-10-09"), OFFICIAL).days == -3  # 10-10, 10-12, 10-13
    assert working_days_between(D("2026-09-30"), D("2026-10-07"), OFFICIAL).days == 0


def test_lateness_across_the_year_end_says_mixed():
    assert working_days_between(D("2026-12-30"), D("2027-01-04"), PARK_2027) == (2, Rule.MIXED)


@given(
    start=st.dates(min_value=D("2025-11-01"), max_value=D("2027-03-31")),
    n=st.integers(min_value=1, max_value=40),
)
def test_the_due_date_is_a_working_day_exactly_n_working_days_on(start, n):
    due = add_working_days(start, n, PARK_2027)
    assert is_working_day(due.date, PARK_2027)[0]
    assert working_days_between(start, due.date, PARK_2027) == (n, due.rule)
    assert working_days_between(start, due.date - timedelta(days=1), PARK_2027).days == n - 1
