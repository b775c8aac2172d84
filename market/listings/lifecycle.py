"""Moving listings and bids along their tables (market.transitions), and their labels."""

from flask_babel import gettext as _

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


def status_label(status: str) -> str:
    labels = {
        ListingStatus.DRAFT: _("draft"),
        ListingStatus.OPEN: _("open"),
        ListingStatus.AWARDED: _("awarded"),
        ListingStatus.CLOSED: _("closed"),
        ListingStatus.WITHDRAWN: _("withdrawn"),
        ListingStatus.EXPIRED: _("expired"),
        ListingStatus.BIDS_CLOSED: _("bidding closed"),
    }
    return labels.get(status, status)


def event_label(event: str) -> str:
    labels = {
        ListingEvent.PUBLISH: _("published"),
        ListingEvent.WITHDRAW: _("withdrawn"),
        ListingEvent.EXPIRE: _("expired"),
        ListingEvent.AWARD: _("awarded"),
        ListingEvent.CLOSE: _("closed"),
        ListingEvent.CREATE: _("created"),
        ListingEvent.CLOSE_BIDDING: _("bidding closed"),
        ListingEvent.REOPEN: _("reopened"),
        ListingEvent.EXTEND: _("deadline extended"),
    }
    return labels.get(event, event)
