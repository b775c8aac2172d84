"""The business day is Beijing's, not the server's."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from market import clock


def test_at_2330_utc_it_is_already_tomorrow_in_beijing(monkeypatch):
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: late)
    assert clock.today() == date(2027, 1, 1)


def test_before_1600_utc_beijing_shares_the_utc_date(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 29, 15, 59, tzinfo=UTC))
    assert clock.today() == date(2026, 11, 29)


def test_the_server_zone_does_not_decide(monkeypatch):
    # An instant given in a far-west zone is still read on Beijing's calendar.
    west = timezone(timedelta(hours=-10))
    at = datetime(2026, 11, 29, 14, 0, tzinfo=west)  # 00:00 UTC on the 30th
    assert clock.business_day(at) == date(2026, 11, 30)


def test_naive_instants_are_refused():
    with pytest.raises(ValueError):
        clock.business_day(datetime(2026, 11, 29, 12, 0))
