"""Sending a facilitator's suggestion: once per lot × demand pair, a daily limit per
administrator, a message to both parties' inboxes."""

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from market.accounts.models import User
from market.errors import Conflict, DomainError, NotFound
from market.extensions import db
from market.facilitator.models import Suggestion
from market.facilitator.queries import sent_today
from market.inbox.services import notify
from market.listings.bidding import lock_lot
from market.listings.models import DemandListing
from market.listings.states import ListingStatus
from market.matching import service as matching

RANK_DEPTH = 50  # the demand must be among the lot's best this many to be suggested


class TooMany(DomainError):
    status = 429


def suggest(admin: User, supply_id: int, demand_id: int) -> Suggestion:
    lot = lock_lot(supply_id)  # serialises two clicks on the same lot (PostgreSQL)
    if lot.enterprise.park_id != admin.admin_park_id:
        raise NotFound(_("No such listing."))
    demand = db.session.get(DemandListing, demand_id)
    if demand is None:
        raise NotFound(_("No such listing."))
    _check(admin, lot, demand)
    match = _match(lot, demand)
    row = Suggestion(park_id=admin.admin_park_id, listing=lot, demand=demand, admin=admin,
                     score=match.score)  # fmt: skip
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise _already() from None
    _tell(lot, demand)
    return row


def _check(admin: User, lot, demand) -> None:
    if lot.status != ListingStatus.OPEN or demand.status != ListingStatus.OPEN:
        raise Conflict(_("The lot or the demand is no longer open."))
    if db.session.execute(
        db.select(Suggestion.id).filter_by(supply_listing_id=lot.id, demand_listing_id=demand.id)
    ).first():
        raise _already()
    limit = current_app.config["FACILITATOR_DAILY_LIMIT"]
    if sent_today(admin.id) >= limit:
        raise TooMany(_("You have sent %(n)d suggestions in the last 24 hours, the limit; "
                        "try again later.", n=limit))  # fmt: skip


def _already() -> Conflict:
    return Conflict(_("This lot was already suggested to this recycler."))


def _match(lot, demand):
    ranking = matching.rank_demand_for(lot, k=RANK_DEPTH)
    match = next((m for m in ranking.matches if m.id == demand.id), None)
    if match is None:
        raise DomainError(_("This demand does not match the lot (licence, radius or capacity)."))
    return match


def _tell(lot, demand) -> None:
    notify(
        lot.enterprise_id,
        "facilitator_to_generator",
        link=f"/matching/supply/{lot.id}",
        lot=lot.title,
        recycler=demand.enterprise.name,
    )
    notify(
        demand.enterprise_id,
        "facilitator_to_recycler",
        link=f"/listings/supply/{lot.id}",
        lot=lot.title,
        generator=lot.enterprise.name,
    )
