"""Pages and JSON for "一键匹配": ranked counterparts with the parts of each score."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.errors import Conflict
from market.extensions import db
from market.listings.models import DemandListing, SupplyListing
from market.listings.states import ListingStatus
from market.matching import service
from market.matching.service import code_label, reason
from market.matching.types import Ranking
from market.outreach import services as outreach
from market.outreach.forms import InviteForm

bp = Blueprint("matching", __name__, url_prefix="/matching")

MODELS = {"supply": SupplyListing, "demand": DemandListing}
OTHER = {"supply": DemandListing, "demand": SupplyListing}


def may_match(user, listing) -> bool:
    """The owner's users, and the administrator of the owner's park (as facilitator)."""
    if user.enterprise_id is not None and user.enterprise_id == listing.enterprise_id:
        return True
    return user.is_park_admin and listing.enterprise.park_id == user.admin_park_id


def load_listing(kind: str, listing_id: int, user):
    model = MODELS.get(kind) or abort(404)
    listing = db.session.get(model, listing_id)
    if listing is None:
        abort(404)
    if not may_match(user, listing):
        abort(403)
    return listing


def ranking_for(kind: str, listing, k: int = 10, settings=None) -> Ranking:
    if kind == "supply":
        return service.rank_demand_for(listing, k=k, settings=settings)
    return service.rank_supply_for(listing, k=k, settings=settings)


def explained(kind: str, listing, ranking: Ranking) -> dict:
    rows = service.load(OTHER[kind], [m.id for m in ranking.matches])
    return {
        "matches": [(m, rows[m.id]) for m in ranking.matches if m.id in rows],
        "excluded": [
            (name, n, reason(kind, name, listing), ranking.examples[name])
            for name, n in ranking.excluded.items()
        ],
        "candidates": ranking.candidates,  # every open counterpart listing
        "eligible": ranking.eligible,  # those passing every hard filter
    }


@bp.get("/<any(supply, demand):kind>/<int:listing_id>")
@login_required
def matches(kind: str, listing_id: int):
    listing = load_listing(kind, listing_id, current_user)
    k = min(max(request.args.get("k", 10, type=int) or 10, 1), 50)
    view = explained(kind, listing, ranking_for(kind, listing, k))
    other = "demand" if kind == "supply" else "supply"
    return render_template(
        "matching/matches.html",
        listing=listing,
        kind=kind,
        other=other,
        code_label=code_label,
        can_invite=kind == "supply"
        and listing.enterprise_id == current_user.enterprise_id
        and listing.status == ListingStatus.OPEN,
        invited=outreach.invited_enterprises(listing.id) if kind == "supply" else set(),
        **view,
    )


@bp.post("/supply/<int:listing_id>/invite")
@login_required
def invite(listing_id: int):
    """The lot's owner asks a recycler on its match page to bid: an inbox message with a
    link to the lot, once per lot and recycler."""
    lot = load_listing("supply", listing_id, current_user)
    back = redirect(url_for("matching.matches", kind="supply", listing_id=lot.id))
    form = InviteForm()
    if not form.validate_on_submit():
        flash(_("Choose a recycler to invite."), "danger")
        return back
    try:
        outreach.invite_to_bid(current_user, lot, form.enterprise_id.data)
    except Conflict as exc:  # not open, already invited, cannot bid: said, nothing written
        flash(exc.message, "warning")
        return back
    db.session.commit()
    flash(_("The recycler was invited to bid; it has an inbox message with a link to the lot."),
          "success")  # fmt: skip
    return back
