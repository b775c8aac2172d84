"""JSON endpoints: the same reads and listing writes as the pages, by bearer token."""

from flask import g
from flask_babel import gettext as _

from market.accounts.models import Enterprise, Role
from market.api import replies, schemas
from market.api.base import ID, Blueprint, InvalidInput, invalid_input, token_required
from market.api.inputs import listing_input, patched_input
from market.api.serialise import enterprise_json, listing_json
from market.catalog.services import search_codes
from market.catalog.views import code_json
from market.errors import NotFound
from market.extensions import csrf, db
from market.listings import queries, services
from market.listings.models import DemandListing, SupplyListing

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="The waste exchange's JSON API")
csrf.exempt(bp)  # no cookie auth here: every call carries its bearer token
bp.register_error_handler(InvalidInput, invalid_input)

MODELS = {"supply": SupplyListing, "demand": DemandListing}
BODIES = {"supply": schemas.SupplyIn, "demand": schemas.DemandIn}
PATCHES = {"supply": schemas.SupplyPatch, "demand": schemas.DemandPatch}
REPLIES = {"supply": replies.SupplyReply, "demand": replies.DemandReply}
PAGES = {"supply": replies.SupplyPage, "demand": replies.DemandPage}
MATCHES = {"supply": replies.SupplyMatches, "demand": replies.DemandMatches}
ROLES = {"supply": Role.GENERATOR, "demand": Role.RECYCLER}


def load(kind: str, listing_id: int):
    listing = db.session.get(MODELS[kind], listing_id)
    if listing is None or not queries.can_view(g.api_user, listing):
        raise NotFound(_("No such listing."))
    return listing


@bp.route("/catalog/search", methods=["GET"])
@bp.doc(security=[], summary="Fuzzy search of waste codes by plant names, aliases, pinyin")
@bp.arguments(schemas.SearchArgs, location="query")
@bp.response(200, replies.SearchReply)
@bp.fails(400)
def catalog_search(args):
    query = args["q"]
    results = search_codes(query, None, limit=20) if query.strip() else []
    return {"query": query, "results": [code_json(c, h) for c, h in results]}


@bp.route("/me", methods=["GET"])
@bp.doc(summary="The token's user")
@bp.response(200, replies.MeReply)
@bp.fails(401)
@token_required
def me():
    user = g.api_user
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "enterprise": enterprise_json(user.enterprise) if user.enterprise else None,
        "park_admin_of": user.admin_park_id,
    }


@bp.route("/enterprises", methods=["GET"])
@bp.doc(summary="Own enterprise, or the park's enterprises for a park administrator")
@bp.response(200, replies.EnterprisesReply)
@bp.fails(401)
@token_required
def enterprises():
    user = g.api_user
    if user.is_park_admin:
        stmt = db.select(Enterprise).filter_by(park_id=user.admin_park_id).order_by(Enterprise.id)
        rows = db.session.execute(stmt).scalars().all()
    else:
        rows = [user.enterprise] if user.enterprise else []
    return {"enterprises": [enterprise_json(e) for e in rows]}


def browse(kind: str):
    def view(args):
        per_page = args.pop("per_page", 20)
        f = queries.BrowseFilter(kind=kind, **args)
        page = queries.browse(g.api_user, f, per_page=per_page)
        items = [listing_json(item, g.api_user) for item in page.items]
        return {"page": page.page, "pages": page.pages, "total": page.total, "items": items}

    return view


def create(kind: str):
    def view(body):
        services.require_role(g.api_user, ROLES[kind])
        make = services.create_supply if kind == "supply" else services.create_demand
        listing = make(g.api_user, listing_input(kind, body))
        if body.get("publish") is True:
            services.publish(g.api_user, listing)
        db.session.commit()
        return listing_json(listing, g.api_user)

    return view


def detail(kind: str):
    def view(listing_id: int):
        listing = load(kind, listing_id)
        services.expire_if_due(listing)
        db.session.commit()
        return listing_json(listing, g.api_user)

    return view


def update(kind: str):
    def view(body, listing_id: int):
        listing = load(kind, listing_id)
        services.require_owner(g.api_user, listing)
        change = services.update_supply if kind == "supply" else services.update_demand
        change(g.api_user, listing, patched_input(listing, body))
        db.session.commit()
        return listing_json(listing, g.api_user)

    return view


def change_status(kind: str, action: str):
    def view(listing_id: int):
        listing = load(kind, listing_id)
        getattr(services, action)(g.api_user, listing)
        db.session.commit()
        return listing_json(listing, g.api_user)

    return view


def matches(kind: str):
    def view(args, listing_id: int):
        from market.api.matches import matches_json

        return matches_json(kind, listing_id, args.get("k", 10))

    return view


def _register(kind: str) -> None:
    base, one = f"/listings/{kind}", f"/listings/{kind}/<{ID}:listing_id>"
    reply, patch = REPLIES[kind], PATCHES[kind](partial=True)
    operations = [
        (
            base,
            "GET",
            "browse",
            "Browse listings",
            browse(kind),
            schemas.BrowseArgs,
            "query",
            (200, PAGES[kind]),
            (400, 401),
        ),
        (
            base,
            "POST",
            "create",
            "Create a listing (draft, or open with publish=true)",
            create(kind),
            BODIES[kind],
            "json",
            (201, reply),
            (400, 401, 403, 409),
        ),
        (one, "GET", "detail", "One listing", detail(kind), None, None, (200, reply), (401, 404)),
        (
            one,
            "PATCH",
            "update",
            "Change fields of one's own draft or open listing",
            update(kind),
            patch,
            "json",
            (200, reply),
            (400, 401, 403, 404, 409),
        ),
        (
            f"{one}/publish",
            "POST",
            "publish",
            "Publish one's own listing",
            change_status(kind, "publish"),
            None,
            None,
            (200, reply),
            (401, 403, 404, 409),
        ),
        (
            f"{one}/withdraw",
            "POST",
            "withdraw",
            "Withdraw one's own listing",
            change_status(kind, "withdraw"),
            None,
            None,
            (200, reply),
            (401, 403, 404, 409),
        ),
        (
            f"{one}/matches",
            "GET",
            "matches",
            "一键匹配: ranked counterparts, the parts of each "
            "score, and the hard filters that removed the others",
            matches(kind),
            schemas.MatchArgs,
            "query",
            (200, MATCHES[kind]),
            (400, 401, 403, 404),
        ),
    ]
    for rule, method, name, summary, view, args, where, ok, errors in operations:
        view.__name__ = f"{name}_{kind}"
        if args is not None:
            view = bp.arguments(args, location=where)(view)
        view = token_required(view)
        view = bp.fails(*errors)(bp.response(*ok)(view))
        bp.route(rule, methods=[method], endpoint=f"{name}_{kind}")(bp.doc(summary=summary)(view))


for _kind in MODELS:
    _register(_kind)
