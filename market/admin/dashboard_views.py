"""The park dashboard's pages: figures, flows and trends for a period; the capacity gaps;
the rows behind each figure; every table as CSV or XLSX."""

from flask import Blueprint, Response, abort, flash, render_template, request
from flask_login import current_user

from market import clock
from market.accounts.auth import park_admin_required
from market.accounts.licences import review_queue
from market.admin import capacity, dashboard, tables
from market.admin.exports import XLSX, to_csv, to_xlsx
from market.admin.forms import PeriodForm
from market.admin.periods import standard
from market.config import ROOT
from market.deals.models import Deal
from market.errors import DomainError
from market.extensions import db
from market.manifests.models import Manifest

bp = Blueprint("park_dashboard", __name__, url_prefix="/admin/dashboard")
ECHARTS = ROOT / "node_modules" / "echarts" / "dist" / "echarts.min.js"
ROWS = ("started", "closed", "received", "utilised")


def charts_available() -> bool:
    return ECHARTS.is_file()


def _period():
    """The period asked for, or this month and the form's message (shown, status 400)."""
    form = PeriodForm(request.args)
    if form.validate():
        return form, form.to_period(), 200
    for messages in form.errors.values():
        flash(messages[0], "danger")
    return form, standard("month", clock.today()), 400


def _strict_period():
    """For a download: the period asked for, or a 400 saying why (nothing flashed)."""
    form = PeriodForm(request.args)
    if not form.validate():
        field, messages = next(iter(form.errors.items()))
        raise DomainError(str(messages[0]), field=field)
    return form.to_period()


def page():
    """/admin/ (admin.dashboard) renders this."""
    form, period, status = _period()
    park = current_user.admin_park
    figures = dashboard.figures(park.id, period)
    flow = dashboard.flow_rows(park.id, period)
    trend = dashboard.trends(park.id, period)
    return render_template(
        "admin/dashboard.html",
        form=form,
        period=period,
        f=figures,
        sankey=dashboard.sankey(flow),
        trend=trend,
        tables=[tables.grades_table(figures), tables.trends_table(trend), tables.flows_table(flow)],
        charts=charts_available(),
        pending_licences=len(review_queue(current_user)),
    ), status


@bp.get("/capacity")
@park_admin_required
def capacity_page():
    form, period, status = _period()
    park = current_user.admin_park
    gaps = capacity.gaps(park, period)
    return render_template(
        "admin/capacity.html",
        form=form,
        period=period,
        year=capacity.year_to(period),
        gaps=gaps,
        table=tables.capacity_table(gaps),
        chart=capacity.chart_series(gaps),
        radius=capacity.radius_km(park),
        charts=charts_available(),
    ), status


@bp.get("/export/<key>.<any(csv, xlsx):fmt>")
@park_admin_required
def export(key: str, fmt: str):
    period = _strict_period()
    park = current_user.admin_park
    table = tables.build(key, park, period)
    if table is None:
        abort(404)
    body, mimetype = (to_csv(table), "text/csv; charset=utf-8") if fmt == "csv" else (
        to_xlsx(table), XLSX)  # fmt: skip
    name = f"{park.slug}-{key}-{period.first}-{period.last}.{fmt}"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"}
    )


@bp.get("/manifests")
@park_admin_required
def manifests():
    """The manifests behind a figure: started, closed (of those started), received, or
    received for utilisation in the period."""
    form, period, status = _period()
    what = request.args.get("what", "started")
    if what not in ROWS:
        what = "started"
    park_id = current_user.admin_park_id
    if what in ("started", "closed"):
        where = dashboard.started_manifests(park_id, period)
        if what == "closed":
            where = where & (Manifest.status == "closed")
    else:
        where = dashboard.received_manifests(park_id, period)
        if what == "utilised":
            where = where & (Manifest.treatment == "utilise")
    page = db.paginate(
        db.select(Manifest).where(where).order_by(Manifest.id.desc()), per_page=50, error_out=False
    )
    return render_template(
        "admin/figure_manifests.html", page=page, what=what, period=period, form=form
    ), status


@bp.get("/deals")
@park_admin_required
def deals():
    form, period, status = _period()
    page = db.paginate(
        db.select(Deal)
        .where(
            dashboard.park_deals(current_user.admin_park_id),
            dashboard.in_period(Deal.created_at, period),
        )
        .order_by(Deal.created_at.desc(), Deal.id.desc()),
        per_page=50,
        error_out=False,
    )
    return render_template("admin/figure_deals.html", page=page, period=period, form=form), status
