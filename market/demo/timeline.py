"""The demo's clock: the demo happens over the last weeks, not all in one instant.

The services read the time only from `market.clock.now()` (and "today" from it), so the
demo moves that clock back while it calls them: enterprises register and trade weeks
ago, manifests are started, picked up and received on the days they would have been,
and every rule (a pickup not before its submission, receipt due dates, overdue flags,
only ended periods filed) holds as it would have then. The clock keeps running while
it is moved, and is always given back.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta

from market import clock

_REAL = clock.now


@contextmanager
def clock_at(instant: datetime) -> Iterator[None]:
    """`clock.now()` is `instant` on entry and runs on from there until the block ends."""
    if instant.tzinfo is None:
        raise ValueError("the demo clock needs an aware instant")
    saved = clock.now
    shift = instant - _REAL()
    clock.now = lambda: _REAL() + shift
    try:
        yield
    finally:
        clock.now = saved


def real_now() -> datetime:
    """The real time, also while the demo's clock is moved back."""
    return _REAL()


def beijing(days_ago: int, hour: int, minute: int = 0) -> datetime:
    """`days_ago` business days before today (in Beijing) at hour:minute Beijing time."""
    day = clock.business_day(_REAL()) - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), tzinfo=clock.BEIJING)
