"""JSON endpoints: the same reads and listing writes as the pages, by bearer token."""

from flask import g
from flask_babel import gettext as _

from market.accounts.models import Enterprise, Role
from market.accounts.sites import sites_of
from market.api import replies, schemas
from market.api.base import ID, Blueprint, InvalidInput, invalid_input, token_required
from market.api.inputs import listing_input, patched_input
from market.api.serialise import enterprise_json, listing_json, site_json
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


@bp.route("/sites", methods=["GET"])
@bp.doc(summary="The sites of the caller's park, to give as site_id when posting a listing")
@bp.response(200, replies.SitesReply)
@bp.fails(401)
@token_required
def sites():
    user = g.api_user
    park_id = user.admin_park_id or (user.enterprise.park_id if user.enterprise else None)
    rows = sites_of(park_id) if park_id else []
    return {"sites": [site_json(s) for s in rows]}


def named(view, name: str):
    """The endpoint name of a view made per kind (api.browse_supply, api.publish_demand…)."""
    view.__name__ = view.__qualname__ = name
    return view


def browse(kind: str):
    def view(args):
        per_page = args.pop("per_page", 20)
        f = queries.BrowseFilter(kind=kind, **args)
        page = queries.browse(g.api_user, f, per_page=per_page)
        items = [listing_json(item, g.api_user) for item in page.items]
        return {"page": page.page, "pages": page.pages, "total": page.total, "items": items}

    return named(view, f"browse_{kind}")


def create(kind: str):
    def view(body):
        services.require_role(g.api_user, ROLES[kind])
        make = services.create_supply if kind == "supply" else services.create_demand
        listing = make(g.api_user, listing_input(kind, body))
        if body.get("publish") is True:
            services.publish(g.api_user, listing)
        db.session.commit()
        return listing_json(listing, g.api_user)

    return named(view, f"create_{kind}")


def detail(kind: str):
    def view(listing_id: int):
        listing = load(kind, listing_id)
        services.expire_if_due(listing)
        db.session.commit()
        return listing_json(listing, g.api_user)

    return named(view, f"detail_{kind}")


def update(kind: str):
    def view(body, listing_id: int):
        listing = load(kind, listing_id)
        services.require_owner(g.api_user, listing)
        change = services.update_supply if kind == "supply" else services.update_demand
        change(g.api_user, listing, patched_input(listing, body))
        db.session.commit()
        return listing_json(listing, g.api_user)

    return named(view, f"update_{kind}")


def change_status(kind: str, action: str):
    def view(listing_id: int):
        listing = load(kind, listing_id)
        getattr(services, action)(g.api_user, listing)
        db.session.commit()
        return listing_json(listing, g.api_user)

    return named(view, f"{action}_{kind}")


def matches(kind: str):
    def view(args, listing_id: int):
        from market.api.matches import matches_json

        return matches_json(kind, listing_id, args.get("k", 10))

    return named(view, f"matches_{kind}")


def _add(rule: str, method: str, view, summary: str, ok: tuple, fails: tuple, args=None,
         alt=None):  # fmt: skip
    """One operation: token first, then the arguments' schema, the reply's, its errors;
    `alt`: (status, schema, description) of a second successful reply."""
    name = view.__name__
    if args is not None:
        schema, where = args
        view = bp.arguments(schema, location=where)(view)
    view = bp.response(*ok)(token_required(view))
    if alt is not None:
        status, schema, description = alt
        view = bp.alt_response(status, schema=schema, description=description, success=True)(view)
    view = bp.fails(*fails)(view)
    bp.route(rule, methods=[method], endpoint=name)(bp.doc(summary=summary)(view))


def _register(kind: str) -> None:
    base, one = f"/listings/{kind}", f"/listings/{kind}/<{ID}:listing_id>"
    reply, patch = REPLIES[kind], PATCHES[kind](partial=True)
    summary = "Browse listings"
    _add(
        base,
        "GET",
        browse(kind),
        summary,
        (200, PAGES[kind]),
        (400, 401),
        args=(schemas.BrowseArgs, "query"),
    )
    summary = "Create a listing (draft, or open with publish=true)"
    _add(
        base,
        "POST",
        create(kind),
        summary,
        (201, reply),
        (400, 401, 403, 409),
        args=(BODIES[kind], "json"),
    )
    _add(one, "GET", detail(kind), "One listing", (200, reply), (401, 404))
    summary = "Change fields of one's own draft or open listing; the others keep their values"
    _add(
        one,
        "PATCH",
        update(kind),
        summary,
        (200, reply),
        (400, 401, 403, 404, 409),
        args=(patch, "json"),
    )
    for action in ("publish", "withdraw"):
        summary = f"{action.capitalize()} one's own listing"
        _add(
            f"{one}/{action}",
            "POST",
            change_status(kind, action),
            summary,
            (200, reply),
            (401, 403, 404, 409),
        )
    summary = (
        "一键匹配: ranked counterparts, the parts of each score, and the hard filters "
        "that removed the others"
    )
    _add(
        f"{one}/matches",
        "GET",
        matches(kind),
        summary,
        (200, MATCHES[kind]),
        (400, 401, 403, 404),
        args=(schemas.MatchArgs, "query"),
    )


for _kind in MODELS:
    _register(_kind)
