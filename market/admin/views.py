"""A park administrator's view of the park's enterprises and listings."""

from functools import lru_cache
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from pypinyin import lazy_pinyin
from rapidfuzz import fuzz, process
from sqlalchemy.orm import selectinload

from market import clock
from market.accounts.auth import park_admin_required
from market.accounts.licences import enterprise_events
from market.accounts.models import Enterprise
from market.admin import dashboard_views
from market.admin.forms import MatchSettingsForm
from market.extensions import db
from market.formfields import choices
from market.listings.lifecycle import status_label
from market.listings.models import DemandListing, SupplyListing
from market.listings.queries import ListPage
from market.listings.states import ListingStatus
from market.matching import service
from market.matching.views import explained

bp = Blueprint("admin", __name__, url_prefix="/admin")
ENTERPRISES_PER_PAGE = 25


def _park_enterprises() -> list[Enterprise]:
    return (
        db.session.execute(
            db.select(Enterprise)
            .filter_by(park_id=current_user.admin_park_id)
            .options(selectinload(Enterprise.licences))
            .order_by(Enterprise.name)
        )
        .scalars()
        .all()
    )


def name_search(enterprises: list[Enterprise], query: str, limit: int = 50) -> list[Enterprise]:
    """Fuzzy match on names, so "京东方" finds "北京京东方显示技术有限公司"."""
    names = [e.name for e in enterprises]
    hits = process.extract(query, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
    return [enterprises[pos] for _name, _score, pos in hits]


@bp.get("/")
@park_admin_required
def dashboard():
    """The park dashboard (market.admin.dashboard_views)."""
    return dashboard_views.page()


@lru_cache(maxsize=8192)
def pinyin_key(name: str) -> tuple[str, str]:
    """Chinese names in dictionary (pinyin) order, as a reader looks them up."""
    return (" ".join(lazy_pinyin(name, errors="default")).lower(), name)


def requested_page() -> int:
    raw = request.args.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() and len(raw) < 9 else 1


@bp.get("/enterprises")
@park_admin_required
def enterprises():
    """Sorted by pinyin (a search keeps its best-first order), paginated; a page past the
    end shows the last one."""
    query = request.args.get("q", "").strip()[:60]
    role = request.args.get("role", "")
    rows = _park_enterprises()
    if role in ("generator", "recycler", "transporter"):
        rows = [e for e in rows if getattr(e, f"is_{role}")]
    else:
        role = ""
    if query:
        rows = name_search(rows, query)
    else:
        rows.sort(key=lambda e: pinyin_key(e.name))
    pages = max(1, -(-len(rows) // ENTERPRISES_PER_PAGE))
    page = ListPage(rows, min(requested_page(), pages), ENTERPRISES_PER_PAGE)
    return render_template("admin/enterprises.html", page=page, query=query, role=role)


@bp.get("/enterprises/<int:enterprise_id>")
@park_admin_required
def enterprise(enterprise_id: int):
    row = db.session.get(Enterprise, enterprise_id)
    if row is None or row.park_id != current_user.admin_park_id:
        abort(404)
    lots = {}
    for kind, model in (("supply", SupplyListing), ("demand", DemandListing)):
        lots[kind] = (
            db.session.execute(
                db.select(model)
                .filter_by(enterprise_id=row.id)
                .order_by(model.created_at.desc(), model.id.desc())
                .limit(20)
            )
            .scalars()
            .all()
        )
    events = enterprise_events(row.id)
    return render_template("admin/enterprise.html", e=row, lots=lots, events=events)


@bp.get("/listings")
@park_admin_required
def listings():
    kind = "demand" if request.args.get("kind") == "demand" else "supply"
    model = SupplyListing if kind == "supply" else DemandListing
    query = (
        db.select(model)
        .join(Enterprise, model.enterprise_id == Enterprise.id)
        .where(Enterprise.park_id == current_user.admin_park_id)
        .order_by(model.created_at.desc(), model.id.desc())
        .options(selectinload(model.enterprise))
    )
    status = request.args.get("status", "")
    if status == ListingStatus.OPEN:  # as the dashboard counts them: open and not past
        query = query.where(model.status == status, model.available_until >= clock.today())
    elif status in {s.value for s in ListingStatus}:
        query = query.where(model.status == status)
    else:
        status = ""
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template(
        "admin/listings.html", page=page, kind=kind, status=status, status_label=status_label
    )


SETTING_FIELDS = (
    "w_code",
    "w_distance",
    "w_capacity",
    "w_credit",
    "grade_a",
    "grade_b",
    "grade_c",
    "grade_none",
    "default_radius_km",
    "road_factor",
    "notify_min_score",
    "notify_top_n",
)


def _preview_choices(park_id: int):
    rows = (
        db.session.execute(
            db.select(SupplyListing)
            .join(Enterprise, SupplyListing.enterprise_id == Enterprise.id)
            .where(Enterprise.park_id == park_id, SupplyListing.status == "open")
            .order_by(SupplyListing.id.desc())
            .limit(200)
        )
        .scalars()
        .all()
    )
    return rows


@bp.route("/matching", methods=["GET", "POST"])
@park_admin_required
def matching_settings():
    park_id = current_user.admin_park_id
    saved = service.settings_row(park_id)
    form = MatchSettingsForm(obj=saved)
    lots = _preview_choices(park_id)
    form.preview_id.choices = choices(*((lot.id, f"#{lot.id} {lot.title}") for lot in lots))
    if request.method == "GET":
        form.preview_id.data = lots[0].id if lots else 0
    proposed = None
    if form.validate_on_submit():
        if request.form.get("save"):
            _save_settings(saved, form)
            db.session.commit()
            flash(_("Matching settings saved."), "success")
            return redirect(url_for("admin.matching_settings"))
        proposed = SimpleNamespace(**{f: getattr(form, f).data for f in SETTING_FIELDS})
    preview = _preview(lots, form.preview_id.data, saved, proposed)
    status = 400 if form.errors else 200
    return render_template("admin/matching.html", form=form, preview=preview), status


def _save_settings(row, form) -> None:
    for name in SETTING_FIELDS:
        setattr(row, name, getattr(form, name).data)
    row.updated_by_id = current_user.id
    db.session.add(row)


def _preview(lots, lot_id, saved, proposed):
    lot = next((x for x in lots if x.id == lot_id), None)
    if lot is None:
        return None
    current = explained(
        "supply", lot, service.rank_demand_for(lot, k=10, settings=service.to_settings(saved))
    )
    changed = None
    if proposed is not None:
        changed = explained(
            "supply",
            lot,
            service.rank_demand_for(lot, k=10, settings=service.to_settings(proposed)),
        )
    return {"lot": lot, "current": current, "proposed": changed}
