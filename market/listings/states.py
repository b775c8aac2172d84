"""Listing and bid lifecycles as transition tables. Pure: no Flask, no session."""

from enum import StrEnum

from market.lifecycle import InvalidTransition, allowed_events, next_status

__all__ = ["InvalidTransition", "allowed_events", "next_status"]


class ListingStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    BIDS_CLOSED = "bids_closed"  # past the bidding deadline: no more bids, award still possible
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
    CLOSE_BIDDING = "close_bidding"
    EXTEND = "extend"  # logged only: the bidding deadline moved (anti-sniping)
    REOPEN = "reopen"  # the deal was cancelled before pickup


S, E = ListingStatus, ListingEvent

SUPPLY_TRANSITIONS: dict[tuple[ListingStatus, ListingEvent], ListingStatus] = {
    (S.DRAFT, E.PUBLISH): S.OPEN,
    (S.DRAFT, E.WITHDRAW): S.WITHDRAWN,
    (S.OPEN, E.WITHDRAW): S.WITHDRAWN,
    (S.OPEN, E.EXPIRE): S.EXPIRED,
    (S.OPEN, E.AWARD): S.AWARDED,
    (S.OPEN, E.CLOSE_BIDDING): S.BIDS_CLOSED,
    (S.BIDS_CLOSED, E.AWARD): S.AWARDED,
    (S.BIDS_CLOSED, E.WITHDRAW): S.WITHDRAWN,
    (S.BIDS_CLOSED, E.EXPIRE): S.EXPIRED,
    (S.AWARDED, E.REOPEN): S.OPEN,
    (S.AWARDED, E.CLOSE): S.CLOSED,
}

# A demand listing is standing capacity, never awarded: it closes when used up.
DEMAND_TRANSITIONS: dict[tuple[ListingStatus, ListingEvent], ListingStatus] = {
    (S.DRAFT, E.PUBLISH): S.OPEN,
    (S.DRAFT, E.WITHDRAW): S.WITHDRAWN,
    (S.OPEN, E.WITHDRAW): S.WITHDRAWN,
    (S.OPEN, E.EXPIRE): S.EXPIRED,
    (S.OPEN, E.CLOSE): S.CLOSED,
    (S.CLOSED, E.REOPEN): S.OPEN,  # a cancelled deal gave capacity back
}

EDITABLE = frozenset({S.DRAFT, S.OPEN})


class BidStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    ACCEPTED = "accepted"
    REJECTED = "rejected"  # another bid won
    LAPSED = "lapsed"  # the lot was withdrawn or expired without an award
    CANCELLED = "cancelled"  # accepted, then the deal was cancelled before pickup


class BidEvent(StrEnum):
    PLACE = "place"  # logged only
    WITHDRAW = "withdraw"
    ACCEPT = "accept"
    REJECT = "reject"
    LAPSE = "lapse"
    CANCEL = "cancel"  # the deal it made was cancelled


B, BE = BidStatus, BidEvent

BID_TRANSITIONS: dict[tuple[BidStatus, BidEvent], BidStatus] = {
    (B.ACTIVE, BE.WITHDRAW): B.WITHDRAWN,
    (B.ACTIVE, BE.ACCEPT): B.ACCEPTED,
    (B.ACTIVE, BE.REJECT): B.REJECTED,
    (B.ACTIVE, BE.LAPSE): B.LAPSED,
    (B.ACCEPTED, BE.CANCEL): B.CANCELLED,
}
