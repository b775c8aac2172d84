"""Home page (the desk, once signed in) and language switch."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user
from sqlalchemy import func

from market.accounts.models import Enterprise, Park
from market.desk.queries import LICENCE_DAYS, desk_for
from market.extensions import db
from market.listings.models import DemandListing, SupplyListing
from market.listings.states import ListingStatus

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """A signed-in user's desk (what waits on them); the exchange's front page for others."""
    if current_user.is_authenticated and (current_user.enterprise_id or current_user.is_park_admin):
        return render_template("main/desk.html", desk=desk_for(current_user), days=LICENCE_DAYS)
    counts = {
        "parks": db.session.scalar(db.select(func.count(Park.id))),
        "enterprises": db.session.scalar(db.select(func.count(Enterprise.id))),
        "supply": db.session.scalar(
            db.select(func.count(SupplyListing.id)).where(
                SupplyListing.status == ListingStatus.OPEN
            )
        ),
        "demand": db.session.scalar(
            db.select(func.count(DemandListing.id)).where(
                DemandListing.status == ListingStatus.OPEN
            )
        ),
    }
    return render_template("main/index.html", counts=counts, user=current_user)


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login or a language switch."""
    if not target:
        return url_for("main.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.index")
    return target


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in ("zh_CN", "en"):
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")))


@bp.get("/vendor/echarts.min.js")
def echarts():
    """Apache ECharts from node_modules (npm ci), served from here: no CDN. 404 when npm
    has not run; the dashboard then shows its tables only."""
    from market.admin.dashboard_views import ECHARTS

    if not ECHARTS.is_file():
        abort(404)
    return send_file(ECHARTS, mimetype="text/javascript", max_age=86400)
