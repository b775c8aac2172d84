"""Reporting periods (ISO week, month, quarter, year): keys, due dates, filing states. Pure."""

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

MIN_YEAR, MAX_YEAR = 1900, 2999  # a key outside these years is a typo, not a period
ONE_DAY = timedelta(days=1)


class Kind(StrEnum):
    WEEK = "week"  # ISO 8601: Monday to Sunday, numbered in the ISO year of its Thursday
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Problem(StrEnum):
    """Why a key, a window or a filing was refused; the service words the message."""

    BAD_KEY = "bad_key"
    YEAR_RANGE = "year_range"
    WEEK_RANGE = "week_range"
    MONTH_RANGE = "month_range"
    QUARTER_RANGE = "quarter_range"
    BAD_WINDOW = "bad_window"
    FUTURE = "future"  # the period has not ended (on the day of the filing)


class PeriodError(ValueError):
    def __init__(self, problem: Problem, value: object):
        super().__init__(f"{problem.value}: {value!r}")
        self.problem = problem
        self.value = value


class FilingState(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    NOT_DUE = "not_due"


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the end of a shorter month."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _start(day: date, kind: Kind) -> date:
    if kind is Kind.WEEK:
        return day - timedelta(days=day.weekday())
    if kind is Kind.MONTH:
        return day.replace(day=1)
    if kind is Kind.QUARTER:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


def _following_start(start: date, kind: Kind) -> date:
    if kind is Kind.WEEK:
        return start + timedelta(days=7)
    return add_months(start, {Kind.MONTH: 1, Kind.QUARTER: 3, Kind.YEAR: 12}[kind])


@dataclass(frozen=True)
class Period:
    """One whole reporting period; `end` is its last day (inclusive)."""

    kind: Kind
    start: date
    end: date

    def __post_init__(self):
        kind = Kind(self.kind)
        object.__setattr__(self, "kind", kind)
        if _start(self.start, kind) != self.start or self.end != self._following() - ONE_DAY:
            raise ValueError(f"not a whole {kind}: {self.start}..{self.end}")

    def _following(self) -> date:
        return _following_start(self.start, self.kind)

    @property
    def key(self) -> str:
        """Stable text key: 2026-W48, 2026-11, 2026-Q4, 2026."""
        year, month = self.start.year, self.start.month
        if self.kind is Kind.WEEK:
            iso = self.start.isocalendar()
            return f"{iso.year:04d}-W{iso.week:02d}"
        if self.kind is Kind.MONTH:
            return f"{year:04d}-{month:02d}"
        if self.kind is Kind.QUARTER:
            return f"{year:04d}-Q{(month - 1) // 3 + 1}"
        return f"{year:04d}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.key

    def next(self) -> "Period":
        return period_of(self._following(), self.kind)

    def previous(self) -> "Period":
        return period_of(self.start - ONE_DAY, self.kind)


def period_of(day: date, kind: Kind) -> Period:
    start = _start(day, Kind(kind))
    return Period(kind, start, _following_start(start, Kind(kind)) - ONE_DAY)


def next(period: Period) -> Period:  # shadows the builtin here only: callers write periods.next
    return period.next()


def previous(period: Period) -> Period:
    return period.previous()


def periods_between(start: date, end: date, kind: Kind) -> tuple[Period, ...]:
    """Every period of `kind` that overlaps the window start..end (inclusive), in order."""
    if start > end:
        raise PeriodError(Problem.BAD_WINDOW, (start, end))
    found = [period_of(start, kind)]
    while found[-1].end < end:
        found.append(found[-1].next())
    return tuple(found)


def weeks_in_year(year: int) -> int:
    """52 or 53: December 28 always lies in the ISO year's last week."""
    return date(year, 12, 28).isocalendar().week


_KEY = re.compile(r"([0-9]{4})(?:-W([0-9]{2})|-Q([0-9])|-([0-9]{2}))?")


def parse(key: str) -> Period:
    """The period a key names; surrounding blanks and a lower-case w/q are accepted."""
    found = _KEY.fullmatch(key.strip().upper()) if isinstance(key, str) else None
    if found is None:
        raise PeriodError(Problem.BAD_KEY, key)
    year, week, quarter, month = found.groups()
    year = int(year)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(Problem.YEAR_RANGE, key)
    if week is not None:
        return _checked(key, Problem.WEEK_RANGE, int(week), weeks_in_year(year), Kind.WEEK, year)
    if quarter is not None:
        return _checked(key, Problem.QUARTER_RANGE, int(quarter), 4, Kind.QUARTER, year)
    if month is not None:
        return _checked(key, Problem.MONTH_RANGE, int(month), 12, Kind.MONTH, year)
    return period_of(date(year, 1, 1), Kind.YEAR)


def _checked(key: str, problem: Problem, number: int, most: int, kind: Kind, year: int) -> Period:
    if not 1 <= number <= most:
        raise PeriodError(problem, key)
    if kind is Kind.WEEK:
        return period_of(date.fromisocalendar(year, number, 1), kind)
    month = number if kind is Kind.MONTH else (number - 1) * 3 + 1
    return period_of(date(year, month, 1), kind)


@dataclass(frozen=True)
class Due:
    """A period's filing is due `months` whole months, then `days` days, after it ends.

    Months count from the day after the end, so month ends map to month ends:
    Due(days=0, months=3) puts a calendar year's report on March 31 every year,
    where "+90 days" would give March 30 whenever the next year is a leap year.
    """

    days: int
    months: int = 0

    def __post_init__(self):
        for value in (self.days, self.months):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"due offsets are whole non-negative numbers: {value!r}")
        if self.days == 0 and self.months == 0:
            raise ValueError("a filing cannot be due on the last day of its own period")

    def after(self, end: date) -> date:
        return add_months(end + ONE_DAY, self.months) - ONE_DAY + timedelta(days=self.days)


# HJ 1259-2022 §7.2: monthly by the 15th of the next month, quarterly by the 15th of the
# next quarter's first month, yearly by March 31; the weekly +3 (Wednesday) is our choice.
DEFAULT_DUE: Mapping[Kind, Due] = {
    Kind.WEEK: Due(3),
    Kind.MONTH: Due(15),
    Kind.QUARTER: Due(15),
    Kind.YEAR: Due(0, months=3),
}


def due_date(period: Period, rules: Mapping[Kind, Due] = DEFAULT_DUE) -> date:
    return rules[period.kind].after(period.end)


def is_future(period: Period, today: date) -> bool:
    """True while the period has not ended: its last day is today or later."""
    return period.end >= today


def check_can_file(period: Period, today: date) -> None:
    """Refuse a filing for a period that has not ended yet."""
    if is_future(period, today):
        raise PeriodError(Problem.FUTURE, period.key)


def filing_state(
    period: Period, filed_on: date | None, today: date, rules: Mapping[Kind, Due] = DEFAULT_DUE
) -> FilingState:
    """on_time / late by the filing's day; without one, not_due until the due day has passed."""
    due = due_date(period, rules)
    if filed_on is None:
        return FilingState.NOT_DUE if today <= due else FilingState.MISSING
    if filed_on > today:
        raise ValueError(f"a filing dated {filed_on}, after today {today}")
    check_can_file(period, filed_on)
    return FilingState.ON_TIME if filed_on <= due else FilingState.LATE


@dataclass(frozen=True)
class Tier:
    """From `since` on (until the next tier), the enterprise files periods of `kind`."""

    since: date
    kind: Kind


def periods_due(
    tiers: Sequence[Tier], start: date, end: date, rules: Mapping[Kind, Due] = DEFAULT_DUE
) -> tuple[Period, ...]:
    """Periods whose filing falls due in start..end, each owed under the tier in force on its
    last day (so a tier change owes each closing period once, by the kind then held)."""
    if start > end:
        raise PeriodError(Problem.BAD_WINDOW, (start, end))
    ordered = sorted(tiers, key=lambda tier: tier.since)
    if not ordered:
        return ()
    if len({tier.since for tier in ordered}) != len(ordered):
        raise ValueError("two tiers start on the same day")
    owed: list[Period] = []
    for tier, following in zip(ordered, [*ordered[1:], None], strict=True):
        last = following.since - ONE_DAY if following else date.max
        period = period_of(tier.since, tier.kind)
        while period.end <= last and due_date(period, rules) <= end:
            if due_date(period, rules) >= start:
                owed.append(period)
            period = period.next()
    return tuple(sorted(owed, key=lambda period: (period.end, period.kind)))
