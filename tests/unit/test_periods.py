"""Reporting periods: ISO weeks across year ends, keys, due dates and filing states."""

import subprocess
import sys
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.manifests import periods
from market.manifests.periods import (
    DEFAULT_DUE,
    Due,
    FilingState,
    Kind,
    Period,
    PeriodError,
    Problem,
    Tier,
    check_can_file,
    due_date,
    filing_state,
    parse,
    period_of,
    periods_between,
    periods_due,
    weeks_in_year,
)

D = date


def test_2026_has_53_iso_weeks_and_its_last_week_ends_in_2027():
    assert [weeks_in_year(y) for y in (2020, 2021, 2025, 2026, 2027, 2032)] == [
        53,
        52,
        52,
        53,
        52,
        53,
    ]
    last = parse("2026-W53")
    assert (last.start, last.end) == (D(2026, 12, 28), D(2027, 1, 3))
    assert period_of(D(2027, 1, 1), Kind.WEEK).key == "2026-W53"
    assert last.next().key == "2027-W01" and last.next().start == D(2027, 1, 4)


def test_a_week_spanning_new_year_takes_the_iso_year_of_its_thursday():
    week = period_of(D(2024, 12, 31), Kind.WEEK)
    assert week.key == "2025-W01" and (week.start, week.end) == (D(2024, 12, 30), D(2025, 1, 5))
    assert week.previous().key == "2024-W52"
    assert period_of(D(2021, 1, 3), Kind.WEEK).key == "2020-W53"


def test_a_week_runs_monday_to_sunday():
    week = period_of(D(2026, 11, 29), Kind.WEEK)  # a Sunday
    assert week.key == "2026-W48" and week.start.weekday() == 0 and week.end.weekday() == 6
    assert week.days == 7 and D(2026, 11, 23) in week and D(2026, 11, 30) not in week


def test_a_year_without_week_53_refuses_it():
    with pytest.raises(PeriodError) as refused:
        parse("2025-W53")
    assert refused.value.problem is Problem.WEEK_RANGE


def test_leap_years_lengthen_february_the_first_quarter_and_the_year():
    assert parse("2028-02").end == D(2028, 2, 29) and parse("2027-02").end == D(2027, 2, 28)
    assert parse("2028-Q1").days == 91 and parse("2027-Q1").days == 90
    assert parse("2028").days == 366 and parse("2100").days == 365  # 2100 is no leap year


@pytest.mark.parametrize(
    "day, key",
    [
        (D(2026, 3, 31), "2026-Q1"),
        (D(2026, 4, 1), "2026-Q2"),
        (D(2026, 6, 30), "2026-Q2"),
        (D(2026, 7, 1), "2026-Q3"),
        (D(2026, 9, 30), "2026-Q3"),
        (D(2026, 10, 1), "2026-Q4"),
        (D(2026, 12, 31), "2026-Q4"),
    ],
)
def test_quarter_boundaries(day, key):
    assert period_of(day, Kind.QUARTER).key == key


def test_next_and_previous_cross_year_ends_for_every_kind():
    assert parse("2026-Q4").next().key == "2027-Q1" and parse("2027-Q1").previous().key == "2026-Q4"
    assert periods.next(parse("2026-12")).key == "2027-01"
    assert periods.previous(parse("2027-01")).key == "2026-12"
    assert parse("2026").next().key == "2027" and parse("2026").previous().key == "2025"


def test_keys_in_each_kind():
    day = D(2026, 11, 24)
    assert [period_of(day, k).key for k in Kind] == ["2026-W48", "2026-11", "2026-Q4", "2026"]


@given(st.dates(min_value=D(1901, 1, 1), max_value=D(2998, 12, 31)), st.sampled_from(list(Kind)))
def test_any_day_lies_in_one_period_whose_key_parses_back(day, kind):
    period = period_of(day, kind)
    assert day in period and parse(period.key) == period and str(period) == period.key
    assert period.next().start == period.end + timedelta(days=1)
    assert period.next().previous() == period


@pytest.mark.parametrize("key", ["2026-w48", " 2026-q4 ", "2026-11\n"])
def test_parse_accepts_blanks_and_lower_case_letters(key):
    assert parse(key).key == key.strip().upper()


@pytest.mark.parametrize(
    "key, problem",
    [
        ("", Problem.BAD_KEY),
        ("2026-1", Problem.BAD_KEY),
        ("2026/11", Problem.BAD_KEY),
        ("26-11", Problem.BAD_KEY),
        ("2026-W5", Problem.BAD_KEY),
        ("2026-H2", Problem.BAD_KEY),
        ("２０２６", Problem.BAD_KEY),  # full-width digits are not a key
        (None, Problem.BAD_KEY),
        (2026, Problem.BAD_KEY),
        ("1899", Problem.YEAR_RANGE),
        ("3000-01", Problem.YEAR_RANGE),
        ("2026-W00", Problem.WEEK_RANGE),
        ("2026-W54", Problem.WEEK_RANGE),
        ("2026-00", Problem.MONTH_RANGE),
        ("2026-13", Problem.MONTH_RANGE),
        ("2026-Q0", Problem.QUARTER_RANGE),
        ("2026-Q5", Problem.QUARTER_RANGE),
    ],
)
def test_parse_names_what_is_wrong(key, problem):
    with pytest.raises(PeriodError) as refused:
        parse(key)
    assert refused.value.problem is problem and refused.value.value == key


def test_a_period_must_be_whole():
    with pytest.raises(ValueError, match="not a whole month"):
        Period(Kind.MONTH, D(2026, 11, 2), D(2026, 11, 30))
    with pytest.raises(ValueError, match="not a whole week"):
        Period(Kind.WEEK, D(2026, 11, 23), D(2026, 11, 30))
    assert Period("quarter", D(2026, 10, 1), D(2026, 12, 31)).kind is Kind.QUARTER


def test_periods_between_lists_every_period_overlapping_the_window():
    found = periods_between(D(2026, 11, 30), D(2027, 1, 4), Kind.WEEK)
    assert [p.key for p in found] == [
        "2026-W49",
        "2026-W50",
        "2026-W51",
        "2026-W52",
        "2026-W53",
        "2027-W01",
    ]
    assert [p.key for p in periods_between(D(2026, 2, 15), D(2026, 4, 1), Kind.MONTH)] == [
        "2026-02",
        "2026-03",
        "2026-04",
    ]
    assert [p.key for p in periods_between(D(2026, 5, 5), D(2026, 5, 5), Kind.YEAR)] == ["2026"]


def test_periods_between_refuses_a_reversed_window():
    with pytest.raises(PeriodError) as refused:
        periods_between(D(2026, 2, 1), D(2026, 1, 31), Kind.MONTH)
    assert refused.value.problem is Problem.BAD_WINDOW


@pytest.mark.parametrize(
    "key, due",
    [
        ("2026-W48", D(2026, 12, 2)),  # Sunday + 3: the Wednesday after
        ("2026-W53", D(2027, 1, 6)),
        ("2026-11", D(2026, 12, 15)),  # HJ 1259: the 15th of the next month
        ("2026-12", D(2027, 1, 15)),
        ("2028-01", D(2028, 2, 15)),
        ("2026-Q4", D(2027, 1, 15)),  # the 15th of the next quarter's first month
        ("2026-Q1", D(2026, 4, 15)),
        ("2026", D(2027, 3, 31)),  # March 31
        ("2027", D(2028, 3, 31)),  # still March 31 when the next year is a leap year
    ],
)
def test_default_due_dates_follow_hj_1259(key, due):
    assert due_date(parse(key)) == due


def test_ninety_days_would_miss_march_31_in_a_leap_year_so_the_year_counts_months():
    assert parse("2027").end + timedelta(days=90) == D(2028, 3, 30)
    assert DEFAULT_DUE[Kind.YEAR] == Due(0, months=3)


def test_due_rules_are_per_park_and_months_clamp_to_month_ends():
    rules = {**DEFAULT_DUE, Kind.MONTH: Due(days=5, months=1)}
    assert due_date(parse("2026-01"), rules) == D(2026, 3, 5)  # Feb 28 + 5
    assert due_date(parse("2026-11"), {Kind.MONTH: Due(30)}) == D(2026, 12, 30)
    assert Due(1).after(D(2026, 12, 31)) == D(2027, 1, 1)


@pytest.mark.parametrize("days, months", [(0, 0), (-1, 0), (1, -1), (1.5, 0), (True, 0)])
def test_a_due_rule_must_leave_time_after_the_period(days, months):
    with pytest.raises(ValueError):
        Due(days, months)


NOV = parse("2026-11")  # due 2026-12-15


@pytest.mark.parametrize(
    "filed_on, today, state",
    [
        (None, D(2026, 11, 20), FilingState.NOT_DUE),  # the period is still running
        (None, D(2026, 12, 15), FilingState.NOT_DUE),  # the due day itself
        (None, D(2026, 12, 16), FilingState.MISSING),
        (D(2026, 12, 1), D(2026, 12, 1), FilingState.ON_TIME),  # the first day it may be filed
        (D(2026, 12, 15), D(2027, 1, 1), FilingState.ON_TIME),
        (D(2026, 12, 16), D(2026, 12, 16), FilingState.LATE),
        (D(2027, 6, 1), D(2027, 6, 2), FilingState.LATE),
    ],
)
def test_every_filing_state(filed_on, today, state):
    assert filing_state(NOV, filed_on, today) is state


def test_a_period_can_be_filed_only_after_it_ends():
    with pytest.raises(PeriodError) as refused:
        check_can_file(NOV, D(2026, 11, 30))  # its last day: not over yet
    assert refused.value.problem is Problem.FUTURE and refused.value.value == "2026-11"
    check_can_file(NOV, D(2026, 12, 1))
    with pytest.raises(PeriodError):
        filing_state(NOV, D(2026, 11, 29), D(2026, 12, 20))


def test_a_filing_cannot_be_dated_after_today():
    with pytest.raises(ValueError, match="after today"):
        filing_state(NOV, D(2026, 12, 10), D(2026, 12, 9))


def keys(found):
    return [p.key for p in found]


YEAR_2026 = (D(2026, 1, 1), D(2026, 12, 31))


def test_periods_due_in_a_window_are_those_whose_due_day_falls_in_it():
    owed = periods_due([Tier(D(2020, 1, 1), Kind.MONTH)], *YEAR_2026)
    assert keys(owed) == ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 12)]


def test_a_tier_change_at_a_boundary_owes_each_kind_for_its_own_segment():
    tiers = [Tier(D(2026, 7, 1), Kind.QUARTER), Tier(D(2020, 1, 1), Kind.MONTH)]
    owed = periods_due(tiers, *YEAR_2026)
    assert keys(owed) == ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 7)] + ["2026-Q3"]


def test_a_mid_period_tier_change_owes_each_period_under_the_tier_held_on_its_last_day():
    tiers = [Tier(D(2020, 1, 1), Kind.MONTH), Tier(D(2026, 8, 15), Kind.QUARTER)]
    owed = periods_due(tiers, D(2026, 7, 1), D(2026, 12, 31))
    assert keys(owed) == ["2026-06", "2026-07", "2026-Q3"]  # August ended under the quarter


def test_nothing_is_owed_before_the_first_tier():
    owed = periods_due([Tier(D(2026, 3, 10), Kind.MONTH)], *YEAR_2026)
    assert keys(owed)[0] == "2026-03" and len(owed) == 9
    assert periods_due([], *YEAR_2026) == ()
    assert periods_due([Tier(D(2027, 1, 1), Kind.WEEK)], *YEAR_2026) == ()


def test_periods_due_refuses_two_tiers_on_one_day_and_a_reversed_window():
    with pytest.raises(ValueError, match="same day"):
        periods_due([Tier(D(2026, 1, 1), Kind.MONTH), Tier(D(2026, 1, 1), Kind.YEAR)], *YEAR_2026)
    with pytest.raises(PeriodError):
        periods_due([Tier(D(2026, 1, 1), Kind.MONTH)], D(2026, 2, 1), D(2026, 1, 1))


def test_weekly_filers_owe_one_report_per_wednesday_in_the_window():
    owed = periods_due([Tier(D(2020, 1, 1), Kind.WEEK)], D(2027, 1, 1), D(2027, 12, 31))
    # 2026-W53 (due 2027-01-06) opens the year; 2027-W52 ends 2028-01-02, due 2028-01-05
    assert keys(owed)[0] == "2026-W53" and keys(owed)[-1] == "2027-W51" and len(owed) == 52


def test_the_module_imports_no_flask_and_no_database():
    code = (
        "import sys, market.manifests.periods; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'flask_sqlalchemy', 'sqlalchemy')]; print(bad); assert not bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
