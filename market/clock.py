"""The business clock: "today" is the day in Beijing, whatever the server's zone. Pure.

Every date the product decides with (licence validity, listing expiry, the day a
ranking is for, working-day deadlines) comes from `today()`; times are stored in
UTC and shown in Beijing time. A park setting may later pass another zone.
"""

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current instant, UTC-aware."""
    return datetime.now(UTC)


def business_day(at: datetime, zone: tzinfo = BEIJING) -> date:
    """The calendar day an aware instant falls on in `zone` (Beijing by default)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: the business day needs an aware instant")
    return at.astimezone(zone).date()


def today(zone: tzinfo = BEIJING) -> date:
    """Today's business day in Beijing; never the server's own date."""
    return business_day(now(), zone)


def local(at: datetime, zone: tzinfo = BEIJING) -> datetime:
    """An aware instant as wall-clock time in `zone`."""
    return at.astimezone(zone)
