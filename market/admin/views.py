"""A park administrator's view of the park's enterprises and listings."""

from flask import Blueprint, render_template, request
from flask_login import current_user
from rapidfuzz import fuzz, process
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from market.accounts.auth import park_admin_required
from market.accounts.models import Enterprise
from market.extensions import db
from market.listings.models import DemandListing, SupplyListing
from market.listings.services import status_label

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _park_enterprises() -> list[Enterprise]:
    return db.session.execute(
        db.select(Enterprise).filter_by(park_id=current_user.admin_park_id)
        .options(selectinload(Enterprise.licences)).order_by(Enterprise.name)
    ).scalars().all()


def name_search(enterprises: list[Enterprise], query: str, limit: int = 50) -> list[Enterprise]:
    """Fuzzy match on names, so "京东方" finds "北京京东方显示技术有限公司"."""
    names = [e.name for e in enterprises]
    hits = process.extract(query, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
    return [enterprises[pos] for _name, _score, pos in hits]


@bp.get("/")
@park_admin_required
def dashboard():
    park_id = current_user.admin_park_id
    counts = {}
    for label, model in (("supply", SupplyListing), ("demand", DemandListing)):
        rows = db.session.execute(
            db.select(model.status, func.count(model.id))
            .join(Enterprise, model.enterprise_id == Enterprise.id)
            .where(Enterprise.park_id == park_id).group_by(model.status)
        ).all()
        counts[label] = {status: n for status, n in rows}
    enterprises = _park_enterprises()
    roles = {role: sum(1 for e in enterprises if getattr(e, f"is_{role}"))
             for role in ("generator", "recycler", "transporter")}
    return render_template("admin/dashboard.html", counts=counts, roles=roles,
                           total=len(enterprises), status_label=status_label)


@bp.get("/enterprises")
@park_admin_required
def enterprises():
    query = request.args.get("q", "").strip()[:60]
    rows = _park_enterprises()
    if query:
        rows = name_search(rows, query)
    return render_template("admin/enterprises.html", enterprises=rows, query=query)


@bp.get("/listings")
@park_admin_required
def listings():
    kind = "demand" if request.args.get("kind") == "demand" else "supply"
    model = SupplyListing if kind == "supply" else DemandListing
    page = db.paginate(
        db.select(model).join(Enterprise, model.enterprise_id == Enterprise.id)
        .where(Enterprise.park_id == current_user.admin_park_id)
        .order_by(model.created_at.desc(), model.id.desc())
        .options(selectinload(model.enterprise)),
        per_page=50, error_out=False)
    return render_template("admin/listings.html", page=page, kind=kind,
                           status_label=status_label)
