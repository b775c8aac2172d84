"""Catalogue search page and the autocomplete endpoint used by every code field."""

from flask import Blueprint, jsonify, render_template, request
from flask_login import current_user

from market.catalog.services import search_codes

bp = Blueprint("catalog", __name__, url_prefix="/catalog")


def _park_id() -> int | None:
    if not current_user.is_authenticated:
        return None
    if current_user.enterprise is not None:
        return current_user.enterprise.park_id
    return current_user.admin_park_id


def code_json(code, hit=None) -> dict:
    data = {
        "code": code.code,
        "name": code.name,
        "scheme": code.scheme,
        "category_code": code.category_code,
        "category_name": code.category_name,
        "hazardous": code.is_hazardous,
        "hazard": code.hazard,
        "edition": code.edition.name,
        "label": code.label[:80],
    }
    if hit is not None:
        data.update(score=hit.score, matched=hit.matched)
    return data


@bp.get("/")
def search():
    query = request.args.get("q", "")[:80]
    results = search_codes(query, _park_id(), limit=20) if query.strip() else []
    return render_template("catalog/search.html", query=query, results=results)


@bp.get("/suggest")
def suggest():
    query = request.args.get("q", "")[:80]
    results = search_codes(query, _park_id(), limit=10) if query.strip() else []
    return jsonify([code_json(code, hit) for code, hit in results])
