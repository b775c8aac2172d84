"""Pages for filings, ledgers and their downloads, and the park's filing status."""

from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market import clock
from market.accounts.auth import park_admin_required, role_required
from market.accounts.models import Enterprise, Role
from market.accounts.views import form_error
from market.errors import DomainError, Forbidden, NotFound
from market.extensions import db
from market.manifests import exports, filings, ledgers, periods
from market.manifests.ledger_forms import (
    AmendForm,
    FilingForm,
    LedgerFilter,
    StatusFilter,
    TierForm,
)
from market.manifests.models import Filing, FilingAmendment, FilingTier
from market.manifests.periods import FilingState, Kind

bp = Blueprint("ledgers", __name__, url_prefix="/ledgers")

FILING_LOOKBACK, FILING_LOOKAHEAD = timedelta(days=366), timedelta(days=100)
LEDGER_PERIODS = 12  # the default window: the last twelve periods up to today
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filing_page(form: FilingForm, status: int = 200):
    enterprise, today = current_user.enterprise, clock.today()
    window = (today - FILING_LOOKBACK, today + FILING_LOOKAHEAD)
    rows = [r for r in filings.filing_status(enterprise, window) if r.period.start <= today]
    tier = filings.tier_on(filings.tiers_of(enterprise), today)
    return render_template(
        "ledgers/filings.html", form=form, rows=rows, tier=tier, today=today,
        FilingState=FilingState, kind_label=filings.kind_label,
    ), status  # fmt: skip


@bp.route("/filings", methods=["GET", "POST"])
@role_required(Role.GENERATOR)
def filing_page():
    form = FilingForm()
    if request.method == "GET":
        return _filing_page(form)
    if form.validate_on_submit():
        try:
            filing = filings.file_generation(current_user, form.to_input())
        except DomainError as exc:
            form_error(form, exc)
            return _filing_page(form, exc.status)
        db.session.commit()
        flash(_("Filed %(code)s for %(key)s.", code=filing.waste_code.code, key=filing.period_key),
              "success")  # fmt: skip
        return redirect(url_for("ledgers.filing_page"))
    return _filing_page(form, 400)


def _own_filing(filing_id: int) -> Filing:
    filing = db.session.get(Filing, filing_id)
    if filing is None or filing.enterprise_id != current_user.enterprise_id:
        abort(404)
    return filing


@bp.route("/filings/<int:filing_id>/amend", methods=["GET", "POST"])
@role_required(Role.GENERATOR)
def amend(filing_id: int):
    filing = _own_filing(filing_id)
    form = AmendForm(obj=filing if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                filings.amend_filing(current_user, filing.id, form.to_input())
            except DomainError as exc:
                form_error(form, exc)
                status = exc.status
            else:
                db.session.commit()
                flash(_("Filing corrected."), "success")
                return redirect(url_for("ledgers.filing_page"))
    history = db.session.execute(
        db.select(FilingAmendment).filter_by(filing_id=filing.id).order_by(FilingAmendment.version)
    ).scalars()
    return render_template(
        "ledgers/amend.html", form=form, filing=filing, history=list(history)
    ), status


def _may_read(enterprise: Enterprise) -> bool:
    if current_user.is_park_admin:
        return enterprise.park_id == current_user.admin_park_id
    return current_user.enterprise_id == enterprise.id


def _readable(enterprise_id: int) -> Enterprise:
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None or not _may_read(enterprise):
        abort(403 if enterprise is not None else 404)
    if not (enterprise.has_role(Role.GENERATOR) or enterprise.has_role(Role.RECYCLER)):
        raise Forbidden(_("Only generators and recyclers keep a waste ledger."))
    return enterprise


def _window(enterprise: Enterprise) -> tuple[Kind, date, date]:
    """The picked periods, or the last twelve of the kind the enterprise files today."""
    form = LedgerFilter(request.args)
    if not form.validate():
        raise DomainError(_("Choose the periods and dates from the lists."))
    today = clock.today()
    tier = filings.tier_on(filings.tiers_of(enterprise), today)
    kind = Kind(form.kind.data) if form.kind.data else (tier.kind if tier else Kind.MONTH)
    end = form.end.data or today
    start = form.start.data or periods.period_of(end, kind).start
    if not form.start.data:
        for _step in range(LEDGER_PERIODS - 1):
            start = periods.period_of(start, kind).previous().start
    if start > end:
        raise DomainError(_("The start of the window is after its end."), field="start")
    return kind, start, end


def _ledger(enterprise: Enterprise) -> ledgers.Ledger:
    kind, start, end = _window(enterprise)
    try:
        return ledgers.ledger_for(enterprise, kind, start, end)
    except ValueError as error:
        raise DomainError(
            _("Choose a shorter window: at most %(n)s periods.", n=ledgers.MAX_PERIODS)
        ) from error


@bp.get("/")
@login_required
def mine():
    if current_user.enterprise is None:
        abort(403)
    return enterprise_ledger(current_user.enterprise_id)


@bp.get("/enterprises/<int:enterprise_id>")
@login_required
def enterprise_ledger(enterprise_id: int):
    enterprise = _readable(enterprise_id)
    book = _ledger(enterprise)
    admin_view = current_user.is_park_admin
    tiers = list(
        db.session.execute(
            db.select(FilingTier).filter_by(enterprise_id=enterprise.id)
            .order_by(FilingTier.effective_from.desc())
        ).scalars()
    )  # fmt: skip
    picker = LedgerFilter(request.args)
    picker.kind.data = book.kind.value
    return render_template(
        "ledgers/ledger.html", book=book, filter=picker, args=_args(book),
        tables=exports.TABLES, admin_view=admin_view, tiers=tiers,
        tier_form=TierForm(effective_from=clock.today()) if admin_view else None,
        kind_label=filings.kind_label, flag_labels=flag_labels(),
    )  # fmt: skip


def _args(book: ledgers.Ledger) -> dict:
    return {"kind": book.kind.value, "start": book.start.isoformat(), "end": book.end.isoformat()}


def flag_labels() -> dict[str, str]:
    return {
        "missing_filing": _("not filed"),
        "negative_stock": _("negative stock"),
        "held_too_long": _("held too long"),
        "over_storage": _("over the storage limit"),
    }


@bp.get("/enterprises/<int:enterprise_id>/ledger.<any(csv, xlsx):fmt>")
@login_required
def export(enterprise_id: int, fmt: str):
    book = _ledger(_readable(enterprise_id))
    if fmt == "xlsx":
        body, mimetype = exports.to_xlsx(book), XLSX
    else:
        table = request.args.get("table", "flow")
        if table not in exports.BY_KEY:
            raise DomainError(_("No such ledger table."), field="table")
        body, mimetype = exports.to_csv(book, table), "text/csv; charset=utf-8"
        fmt = f"{table}.csv"
    name = exports.file_name(book, f".{fmt}")
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"}
    )


@bp.post("/enterprises/<int:enterprise_id>/tier")
@park_admin_required
def set_tier(enterprise_id: int):
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None or enterprise.park_id != current_user.admin_park_id:
        raise NotFound(_("No such enterprise in your park."))
    form = TierForm()
    if not form.validate_on_submit():
        messages = [m for errors in form.errors.values() for m in errors]
        raise DomainError(" ".join(str(m) for m in messages), field="effective_from")
    filings.set_filing_tier(
        current_user, enterprise_id, form.period_kind.data, form.effective_from.data
    )
    db.session.commit()
    flash(_("Filing tier saved."), "success")
    return redirect(url_for("ledgers.enterprise_ledger", enterprise_id=enterprise_id))


@bp.get("/status")
@park_admin_required
def park_status():
    form = StatusFilter(request.args)
    if not form.validate():
        raise DomainError(_("Choose the dates from the calendar."))
    today = clock.today()
    end = form.end.data or today
    start = form.start.data or date(end.year, 1, 1)
    if start > end:
        raise DomainError(_("The start of the window is after its end."), field="start")
    rows = ledgers.park_status(current_user.admin_park_id, (start, end))
    totals = {key: sum(r.counts[key] for r in rows) for key in rows[0].counts} if rows else {}
    rows = _filtered(rows, form.show.data or "all", form.q.data or "")
    return render_template(
        "ledgers/status.html", form=form, rows=rows, totals=totals, start=start, end=end
    )


def _filtered(rows, show: str, query: str):
    if show == "problems":
        rows = [r for r in rows if r.problems]
    elif show == "missing":
        rows = [r for r in rows if r.counts["missing"]]
    if query:
        from market.admin.views import name_search

        kept = {e.id for e in name_search([r.enterprise for r in rows], query, limit=len(rows))}
        rows = [r for r in rows if r.enterprise.id in kept]
    return rows
