"""Listing lifecycles as transition tables. Pure: no Flask, no session."""

from enum import StrEnum


class ListingStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    AWARDED = "awarded"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class ListingEvent(StrEnum):
    CREATE = "create"  # logged only; no transition leads to it
    PUBLISH = "publish"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"
    AWARD = "award"
    CLOSE = "close"


class InvalidTransition(Exception):
    def __init__(self, status: ListingStatus, event: ListingEvent):
        super().__init__(f"cannot {event} a listing that is {status}")
        self.status = status
        self.event = event


S, E = ListingStatus, ListingEvent

SUPPLY_TRANSITIONS: dict[tuple[ListingStatus, ListingEvent], ListingStatus] = {
    (S.DRAFT, E.PUBLISH): S.OPEN,
    (S.DRAFT, E.WITHDRAW): S.WITHDRAWN,
    (S.OPEN, E.WITHDRAW): S.WITHDRAWN,
    (S.OPEN, E.EXPIRE): S.EXPIRED,
    (S.OPEN, E.AWARD): S.AWARDED,
    (S.AWARDED, E.CLOSE): S.CLOSED,
}

# A demand listing is standing capacity, never awarded: it closes when used up.
DEMAND_TRANSITIONS: dict[tuple[ListingStatus, ListingEvent], ListingStatus] = {
    (S.DRAFT, E.PUBLISH): S.OPEN,
    (S.DRAFT, E.WITHDRAW): S.WITHDRAWN,
    (S.OPEN, E.WITHDRAW): S.WITHDRAWN,
    (S.OPEN, E.EXPIRE): S.EXPIRED,
    (S.OPEN, E.CLOSE): S.CLOSED,
}

EDITABLE = frozenset({S.DRAFT, S.OPEN})


def next_status(table, status: ListingStatus, event: ListingEvent) -> ListingStatus:
    try:
        return table[(ListingStatus(status), ListingEvent(event))]
    except KeyError:
        raise InvalidTransition(ListingStatus(status), ListingEvent(event)) from None


def allowed_events(table, status: ListingStatus) -> list[ListingEvent]:
    return [event for (source, event) in table if source == status]
