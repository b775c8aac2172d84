"""The dashboard's periods: this month, quarter or year, or custom days; each as Beijing
days and the UTC instants that bound them. Pure."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from market.clock import BEIJING

KINDS = ("month", "quarter", "year", "custom")
MAX_DAYS = 366 * 5  # a longer span is a typo, and a heavy query
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # Beijing days, both included
    last: date

    @property
    def starts(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=BEIJING).astimezone(UTC)

    @property
    def ends(self) -> datetime:
        """The instant after the last day (exclusive bound)."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=BEIJING).astimezone(
            UTC
        )

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def args(self) -> dict:
        """The query string that asks for this period again."""
        if self.kind == "custom":
            return {
                "period": "custom",
                "start": self.first.isoformat(),
                "end": self.last.isoformat(),
            }
        return {"period": self.kind}


def standard(kind: str, today: date) -> Period:
    """The month, quarter or year that `today` is in, up to today."""
    if kind == "month":
        first = today.replace(day=1)
    elif kind == "quarter":
        first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    elif kind == "year":
        first = date(today.year, 1, 1)
    else:
        raise ValueError(kind)
    return Period(kind, first, today)


def custom_problem(first: date, last: date, today: date) -> str | None:
    """Why a custom span is refused (a key the form words), or None."""
    if last < first:
        return "order"
    if first < EARLIEST or last > today:
        return "range"
    if (last - first).days + 1 > MAX_DAYS:
        return "long"
    return None


def months(first: date, last: date) -> list[str]:
    """Every month "YYYY-MM" from first's to last's."""
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def trend_window(period: Period) -> Period:
    """Trends need more than one point: at least the twelve months up to the period's end."""
    back = period.last.replace(day=1)
    for _ in range(11):
        back = (back - timedelta(days=1)).replace(day=1)
    return Period("custom", min(back, period.first), period.last)
