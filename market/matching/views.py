"""Pages and JSON for "一键匹配": ranked counterparts with the parts of each score."""

from datetime import date

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.extensions import db
from market.listings.models import DemandListing, SupplyListing
from market.matching import service
from market.matching.types import Filter, Ranking

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


def code_label(level: float) -> str:
    if level >= 1.0:
        return _("same code")
    if level >= 0.7:
        return _("same subcategory")
    return _("same category")


def reason(kind: str, name: Filter, listing) -> str:
    """Why counterparts were left out, said from the viewer's side."""
    if name == Filter.CODE:
        if kind == "supply":
            return _("licence does not cover %(code)s", code=listing.waste_code.code)
        return _("hazardous lot whose code your licence does not cover")
    if name == Filter.RADIUS:
        if kind == "supply":
            return _("outside their service radius")
        return _("outside your %(km)d km service radius", km=listing.service_radius_km)
    texts = {
        Filter.SAME_ENTERPRISE: _("your own enterprise"),
        Filter.CAPACITY: _("no remaining capacity"),
        Filter.LICENCE: _("no licence valid on %(day)s", day=date.today().isoformat()),
        Filter.CREDIT: _("credit grade D"),
    }
    return texts[name]


def explained(kind: str, listing, ranking: Ranking) -> dict:
    rows = service.load(OTHER[kind], [m.id for m in ranking.matches])
    return {
        "matches": [(m, rows[m.id]) for m in ranking.matches if m.id in rows],
        "excluded": [
            (name, n, reason(kind, name, listing), ranking.examples[name])
            for name, n in ranking.excluded.items()
        ],
        "candidates": ranking.candidates,
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
        **view,
    )
