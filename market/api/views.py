"""JSON endpoints: the same reads and listing writes as the pages, by bearer token."""

from functools import wraps

from flask import Blueprint, abort, g, jsonify, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from market.accounts.auth import user_from_bearer
from market.accounts.models import Enterprise, Licence, Role
from market.api.serialise import enterprise_json, listing_json
from market.catalog.services import search_codes
from market.catalog.views import code_json
from market.errors import DomainError, error_response
from market.extensions import csrf, db
from market.formfields import choices
from market.listings import queries, services
from market.listings.forms import (
    BrowseForm,
    DemandForm,
    SupplyForm,
    demand_input,
    park_choices,
    supply_input,
)
from market.listings.models import DemandListing, SupplyListing

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookie auth here: every call carries its bearer token

MODELS = {"supply": SupplyListing, "demand": DemandListing}


def token_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        user = user_from_bearer(request.headers.get("Authorization", ""))
        if user is None:
            return error_response(401, _("A valid API token is required."))
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError(_("The body must be a JSON object."))
    return body


def formdata_from_json(body: dict, base: dict | None = None) -> MultiDict:
    """JSON values as form strings, so the API is validated by the same forms."""
    merged = {**(base or {}), **body}
    items = []
    for key, value in merged.items():
        if value is None:
            continue
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "y" if value else ""
        items.append((key, str(value)))
    return MultiDict(items)


def form_errors(form):
    first = next(iter(form.errors.values()))[0]
    message = first if isinstance(first, str) else str(first)
    return error_response(400, message, {k: [str(m) for m in v] for k, v in form.errors.items()})


def _load(kind: str, listing_id: int):
    model = MODELS.get(kind) or abort(404)
    listing = db.session.get(model, listing_id)
    if listing is None or not queries.can_view(g.api_user, listing):
        abort(404)
    return listing


@bp.get("/catalog/search")
def catalog_search():
    query = request.args.get("q", "")[:80]
    results = search_codes(query, None, limit=20) if query.strip() else []
    return jsonify({"query": query, "results": [code_json(c, h) for c, h in results]})


@bp.get("/me")
@token_required
def me():
    user = g.api_user
    return jsonify(
        {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "enterprise": enterprise_json(user.enterprise) if user.enterprise else None,
            "park_admin_of": user.admin_park_id,
        }
    )


@bp.get("/enterprises")
@token_required
def enterprises():
    user = g.api_user
    if user.is_park_admin:
        rows = (
            db.session.execute(
                db.select(Enterprise).filter_by(park_id=user.admin_park_id).order_by(Enterprise.id)
            )
            .scalars()
            .all()
        )
    else:
        rows = [user.enterprise]
    return jsonify({"enterprises": [enterprise_json(e) for e in rows]})


@bp.get("/listings/<any(supply, demand):kind>")
@token_required
def browse(kind: str):
    form = BrowseForm(MultiDict({**request.args.to_dict(), "kind": kind}))
    form.park_id.choices = park_choices("all")
    if not form.validate():
        return form_errors(form)
    f = queries.BrowseFilter(
        **{k: v for k, v in form.data.items() if k != "page"},
        page=form.page.data or 1,
        mine=request.args.get("mine") == "1",
    )
    page = queries.browse(
        g.api_user, f, per_page=min(100, request.args.get("per_page", 20, type=int) or 20)
    )
    return jsonify(
        {
            "page": page.page,
            "pages": page.pages,
            "total": page.total,
            "items": [listing_json(item, g.api_user) for item in page.items],
        }
    )


@bp.get("/listings/<any(supply, demand):kind>/<int:listing_id>")
@token_required
def detail(kind: str, listing_id: int):
    listing = _load(kind, listing_id)
    services.expire_if_due(listing)
    db.session.commit()
    return jsonify(listing_json(listing, g.api_user))


def _bind(kind: str, formdata: MultiDict):
    if kind == "supply":
        return SupplyForm(formdata=formdata, meta={"csrf": False})
    form = DemandForm(formdata=formdata, meta={"csrf": False})
    licences = db.session.execute(
        db.select(Licence.id).filter_by(enterprise_id=g.api_user.enterprise_id)
    ).scalars()
    form.licence_id.choices = choices((0, "-"), *((i, str(i)) for i in licences))
    return form


@bp.post("/listings/<any(supply, demand):kind>")
@token_required
def create(kind: str):
    services.require_role(g.api_user, Role.GENERATOR if kind == "supply" else Role.RECYCLER)
    body = json_body()
    form = _bind(kind, formdata_from_json(body))
    if not form.validate():
        return form_errors(form)
    if kind == "supply":
        listing = services.create_supply(g.api_user, supply_input(form))
    else:
        listing = services.create_demand(g.api_user, demand_input(form))
    if body.get("publish") is True:
        services.publish(g.api_user, listing)
    db.session.commit()
    return jsonify(listing_json(listing, g.api_user)), 201


@bp.patch("/listings/<any(supply, demand):kind>/<int:listing_id>")
@token_required
def update(kind: str, listing_id: int):
    listing = _load(kind, listing_id)
    services.require_owner(g.api_user, listing)
    body = json_body()
    current = listing_json(listing, g.api_user, as_input=True)
    form = _bind(kind, formdata_from_json(body, base=current))
    if not form.validate():
        return form_errors(form)
    if kind == "supply":
        services.update_supply(g.api_user, listing, supply_input(form))
    else:
        services.update_demand(g.api_user, listing, demand_input(form))
    db.session.commit()
    return jsonify(listing_json(listing, g.api_user))


@bp.post("/listings/<any(supply, demand):kind>/<int:listing_id>/<any(publish, withdraw):action>")
@token_required
def change_status(kind: str, listing_id: int, action: str):
    listing = _load(kind, listing_id)
    getattr(services, action)(g.api_user, listing)
    db.session.commit()
    return jsonify(listing_json(listing, g.api_user))


@bp.get("/openapi.json")
def openapi():
    from market.api.openapi import spec

    return jsonify(spec())


@bp.get("/listings/<any(supply, demand):kind>/<int:listing_id>/matches")
@token_required
def matches(kind: str, listing_id: int):
    from market.matching.views import code_label, explained, load_listing, ranking_for

    listing = load_listing(kind, listing_id, g.api_user)
    k = min(max(request.args.get("k", 10, type=int) or 10, 1), 50)
    view = explained(kind, listing, ranking_for(kind, listing, k))
    return jsonify(
        {
            "listing": {"kind": kind, "id": listing.id},
            "matches": [
                {
                    "rank": i,
                    "score": round(m.score, 4),
                    "parts": {
                        "code": round(m.code, 4),
                        "code_match": code_label(m.code),
                        "distance": round(m.distance, 4),
                        "distance_km": round(m.distance_km, 2),
                        "capacity": round(m.capacity, 4),
                        "credit": round(m.credit, 4),
                        "grade": m.grade,
                    },
                    "listing": listing_json(row, g.api_user),
                }
                for i, (m, row) in enumerate(view["matches"], start=1)
            ],
            "excluded": [
                {"filter": str(name), "count": n, "reason": text, "examples": ids}
                for name, n, text, ids in view["excluded"]
            ],
            "candidates": view["candidates"],
            "eligible": view["eligible"],
        }
    )
