"""The dashboard's periods: standard spans, custom checks, the months of a trend."""

from datetime import UTC, date, datetime

import pytest

from market.admin.periods import Period, custom_problem, months, standard, trend_window

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("kind", "first"),
    [("month", date(2026, 11, 1)), ("quarter", date(2026, 10, 1)), ("year", date(2026, 1, 1))],
)
def test_standard_periods_run_to_today(kind, first):
    assert standard(kind, TODAY) == Period(kind, first, TODAY)


def test_a_period_is_bounded_by_beijing_midnights_in_utc():
    period = Period("custom", date(2026, 1, 1), date(2026, 1, 31))
    assert period.starts == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert period.ends == datetime(2026, 1, 31, 16, tzinfo=UTC)
    assert period.days == 31


@pytest.mark.parametrize(
    ("first", "last", "problem"),
    [
        (date(2026, 5, 2), date(2026, 5, 1), "order"),
        (date(1999, 12, 31), date(2000, 1, 5), "range"),
        (date(2026, 1, 1), date(2026, 11, 30), "range"),
        (date(2020, 1, 1), date(2026, 1, 1), "long"),
        (date(2026, 5, 1), date(2026, 5, 1), None),
    ],
)
def test_custom_spans_are_checked(first, last, problem):
    assert custom_problem(first, last, TODAY) == problem


def test_months_cross_a_year():
    assert months(date(2025, 11, 15), date(2026, 2, 1)) == ["2025-11", "2025-12", "2026-01",
                                                            "2026-02"]  # fmt: skip


def test_trends_cover_at_least_twelve_months():
    window = trend_window(standard("month", TODAY))
    assert window.first == date(2025, 12, 1) and window.last == TODAY
    assert len(months(window.first, window.last)) == 12
    long = Period("custom", date(2024, 1, 1), TODAY)
    assert trend_window(long).first == date(2024, 1, 1)


def test_the_period_rules_load_no_flask_and_no_database():
    import subprocess
    import sys

    code = "import sys, market.admin.periods; assert not {'flask', 'sqlalchemy'} & set(sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
