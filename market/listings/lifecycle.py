"""Moving listings and bids along their tables (market.transitions), and their labels."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from market.accounts.models import User
from market.db import utcnow
from market.errors import Conflict
from market.listings.models import Bid, BidEventRow, ListingEventRow, SupplyListing
from market.listings.states import (
    BID_TRANSITIONS,
    DEMAND_TRANSITIONS,
    SUPPLY_TRANSITIONS,
    BidEvent,
    ListingEvent,
    ListingStatus,
)
from market.matching import service as matching
from market.transitions import Lifecycle


def _refuse_listing(listing, event, raced: bool) -> Conflict:
    if raced:
        return Conflict(_("The listing was changed by someone else. Reload and try again."))
    return Conflict(
        _(
            "A listing that is %(status)s cannot be %(action)s.",
            status=status_label(listing.status),
            action=event_label(event),
        )
    )


def _refuse_bid(bid, event, raced: bool) -> Conflict:
    return Conflict(_("This bid is no longer active."))


SUPPLY = Lifecycle(
    SUPPLY_TRANSITIONS, ListingEventRow, "supply_listing_id", _refuse_listing, stamp="updated_at"
)
DEMAND = Lifecycle(
    DEMAND_TRANSITIONS, ListingEventRow, "demand_listing_id", _refuse_listing, stamp="updated_at"
)
BIDS = Lifecycle(BID_TRANSITIONS, BidEventRow, "bid_id", _refuse_bid)


def lifecycle_of(listing) -> Lifecycle:
    return SUPPLY if isinstance(listing, SupplyListing) else DEMAND


def transition(listing, event: ListingEvent, actor: User | None, note: str = "") -> None:
    """Move a listing along its table; a concurrent change makes this a Conflict."""
    values = {"published_at": utcnow()} if event == ListingEvent.PUBLISH else None
    lifecycle_of(listing).move(listing, event, actor, note, values=values)
    matching.mark_dirty()


def move_bid(bid: Bid, event: BidEvent, actor: User | None) -> None:
    """A conditional UPDATE, so two requests can never both move the same bid."""
    BIDS.move(bid, event, actor)


# Translated once per call (the hall shows a status per row): the table holds lazy
# strings, and only the one asked for is looked up.
STATUS_LABELS = {
    ListingStatus.DRAFT: _l("draft"),
    ListingStatus.OPEN: _l("open"),
    ListingStatus.AWARDED: _l("awarded"),
    ListingStatus.CLOSED: _l("closed"),
    ListingStatus.WITHDRAWN: _l("withdrawn"),
    ListingStatus.EXPIRED: _l("expired"),
    ListingStatus.BIDS_CLOSED: _l("bidding closed"),
}

EVENT_LABELS = {
    ListingEvent.PUBLISH: _l("published"),
    ListingEvent.WITHDRAW: _l("withdrawn"),
    ListingEvent.EXPIRE: _l("expired"),
    ListingEvent.AWARD: _l("awarded"),
    ListingEvent.CLOSE: _l("closed"),
    ListingEvent.CREATE: _l("created"),
    ListingEvent.CLOSE_BIDDING: _l("bidding closed"),
    ListingEvent.REOPEN: _l("reopened"),
    ListingEvent.EXTEND: _l("deadline extended"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def event_label(event: str) -> str:
    return str(EVENT_LABELS.get(event, event))
