"""Working days for manifest deadlines: the official calendar, else weekdays + the park list.

Counting follows the rule for periods in days (民法典 第二百零一条): the day the
period starts on is not counted. Day 0 is the pickup day, whatever the hour of
pickup and whether or not it is a working day; working day 1 is the first
working day strictly after it. "Within 5 working days of pickup" means signed no
later than the end (Beijing time) of the 5th working day after the pickup day.
In an ordinary week a pickup on Friday afternoon is due the next Friday, and so
is a pickup on that Saturday or Sunday.

A day in a year the `chinesecalendar` package covers is decided by it (statutory
holidays and the 调休 make-up working days, Sundays included). In any other year
(the installed 1.11.0 covers 2004-2026 and raises NotImplementedError outside)
Monday-Friday are working days, except the park's extra holidays, plus the
park's make-up working days. The park's list never overrides the official
calendar: its entries in covered years are ignored (see `shadowed`).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

import chinese_calendar

RECEIPT_WORKING_DAYS = 5  # 危险废物转移管理办法 第十八条
MAX_WORKING_DAYS = 366  # a guard against a runaway count, not a rule of any regulation


class Rule(StrEnum):
    OFFICIAL = "official"  # the State Council calendar, through chinesecalendar
    PARK_LIST = "park_list"  # Monday-Friday plus the park administrator's list
    MIXED = "mixed"  # the span crossed from a covered year into an uncovered one


class Due(NamedTuple):
    date: date
    rule: Rule


class Span(NamedTuple):
    days: int
    rule: Rule


# The package scans its whole table for its year range on every call (about 2.5 ms
# for one 5-day due date, measured); a due-date scan over thousands of manifests
# asks about the same few hundred days.
@lru_cache(maxsize=4096)
def official_working_day(day: date) -> bool | None:
    """Whether `day` is an official working day; None where the package has no data for its year."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class WorkingCalendar:
    """The park's list (extra holidays, make-up working days) and the official source."""

    park_holidays: frozenset[date] = frozenset()
    park_workdays: frozenset[date] = frozenset()
    official: Callable[[date], bool | None] = official_working_day

    def __post_init__(self):
        holidays = _dates(self.park_holidays, "park_holidays")
        workdays = _dates(self.park_workdays, "park_workdays")
        both = holidays & workdays
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"a day cannot be both a holiday and a working day: {listed}")
        object.__setattr__(self, "park_holidays", holidays)
        object.__setattr__(self, "park_workdays", workdays)


def _dates(values: Iterable, name: str) -> frozenset[date]:
    days = frozenset(values)
    for day in days:
        _check_day(day, name)
    return days


def _check_day(day, name: str = "day") -> None:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"{name}: expected a date (the business day in Beijing), got {day!r}")


def is_working_day(day: date, calendar: WorkingCalendar) -> tuple[bool, Rule]:
    """Whether `day` is a working day, and which rule said so."""
    _check_day(day)
    official = calendar.official(day)
    if official is not None:
        return official, Rule.OFFICIAL
    if day in calendar.park_workdays:
        return True, Rule.PARK_LIST
    if day in calendar.park_holidays:
        return False, Rule.PARK_LIST
    return day.weekday() < 5, Rule.PARK_LIST


def add_working_days(start: date, n: int, calendar: WorkingCalendar) -> Due:
    """The n-th working day after `start` (start itself is day 0), and the rule that decided it."""
    _check_day(start, "start")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {n!r}")
    if not 1 <= n <= MAX_WORKING_DAYS:
        raise ValueError(f"n must be between 1 and {MAX_WORKING_DAYS} working days, got {n}")
    day, counted, rules = start, 0, set()
    while counted < n:
        day += timedelta(days=1)
        working, rule = is_working_day(day, calendar)
        rules.add(rule)
        counted += working
    return Due(day, _combined(rules))


def receipt_due(pickup_day: date, calendar: WorkingCalendar) -> Due:
    """The last day the receiver may sign a manifest picked up on `pickup_day`."""
    return add_working_days(pickup_day, RECEIPT_WORKING_DAYS, calendar)


def working_days_between(a: date, b: date, calendar: WorkingCalendar) -> Span:
    """Working days in (a, b]; negative when b is before a. Lateness is between(due, signed)."""
    _check_day(a, "a")
    _check_day(b, "b")
    if b < a:
        days, rule = working_days_between(b, a, calendar)
        return Span(-days, rule)
    if a == b:
        return Span(0, is_working_day(a, calendar)[1])
    count, rules = 0, set()
    for offset in range(1, (b - a).days + 1):
        working, rule = is_working_day(a + timedelta(days=offset), calendar)
        count += working
        rules.add(rule)
    return Span(count, _combined(rules))


def shadowed(calendar: WorkingCalendar) -> list[date]:
    """The park's entries that the official calendar overrides (in years it covers)."""
    entries = calendar.park_holidays | calendar.park_workdays
    return sorted(day for day in entries if calendar.official(day) is not None)


def _combined(rules: set[Rule]) -> Rule:
    return rules.pop() if len(rules) == 1 else Rule.MIXED
