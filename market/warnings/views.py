"""Warning pages: the enterprise's own warnings and its answer, the park administrators'
console (filters, closure rate), one warning's page with the step each side may take,
the rectification files and the park's warning settings."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market import clock, menu
from market.accounts.auth import member_required, park_admin_required
from market.accounts.views import form_error
from market.credit.files import max_bytes, upload_of
from market.errors import DomainError
from market.extensions import db
from market.uploads import serve_stored
from market.warnings import forms, queries, services
from market.warnings.states import WAITS_ON_ENTERPRISE, WarningStatus, may_forward

bp = Blueprint("warnings", __name__, url_prefix="/warnings")
ANSWER_FILES = services.MAX_FILES


def allow_rectification_uploads():
    """Up to five files with an answer may pass the app's 2 MB form limit."""
    if request.endpoint == "warnings.answer":
        request.max_content_length = ANSWER_FILES * max_bytes() + 64 * 1024


@bp.record_once
def _before_the_csrf_check(state) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, allow_rectification_uploads)


@bp.app_template_global()
def warning_counts() -> int:
    """For the menu: what waits on the user's enterprise or on the park's administrators."""
    return menu.counts()["warnings"]


# ---- the enterprise ----------------------------------------------------------------------


@bp.get("/mine")
@member_required
def mine():
    rows = queries.of_enterprise(current_user)
    waiting = sum(1 for w in rows if w.status in WAITS_ON_ENTERPRISE)
    return render_template("warnings/mine.html", rows=rows, waiting=waiting, today=clock.today())


@bp.post("/<int:warning_id>/answer")
@member_required
def answer(warning_id: int):
    form = forms.AnswerForm()
    if not form.validate_on_submit():
        return _refused(warning_id, answer_form=form)
    uploads = [upload_of(f) for f in form.files.data or [] if f and f.filename]
    try:
        row = services.respond(current_user, warning_id, form.answer.data, uploads)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_error(form, exc)
        return _refused(warning_id, exc.status, answer_form=form)
    db.session.commit()
    if row.status == WarningStatus.CLOSED:
        flash(_("Answered; the warning is closed."), "success")
    else:
        flash(_("Rectification sent; the park administrator checks it."), "success")
    return redirect(url_for(".detail", warning_id=warning_id))


# ---- one warning -------------------------------------------------------------------------


@bp.get("/<int:warning_id>")
@login_required
def detail(warning_id: int):
    return _detail_page(queries.warning_for(current_user, warning_id))


def _detail_page(row, status: int = 200, **given):
    page_forms = {
        "answer_form": forms.AnswerForm(formdata=None),
        "forward_form": forms.NoteForm(formdata=None, prefix="forward"),
        "accept_form": forms.NoteForm(formdata=None, prefix="accept"),
        "return_form": forms.ReasonForm(formdata=None, prefix="return"),
        "outcome_form": forms.OutcomeForm(formdata=None, prefix="outcome"),
    }
    page_forms.update(given)
    return render_template(
        "warnings/detail.html",
        w=row,
        facts=queries.facts(row),
        may=_may(row),
        today=clock.today(),
        **page_forms,
    ), status


def _may(row) -> dict[str, bool]:
    """Which forms this user sees; the services check the same again on a post."""
    admin = current_user.is_park_admin
    S = WarningStatus
    return {
        "answer": not admin and row.status in WAITS_ON_ENTERPRISE,
        "forward": admin and may_forward(row.status, row.level),
        "review": admin and row.status == S.RECTIFIED,
        "record": admin and row.status == S.RAISED,
    }


def _refused(warning_id: int, status: int = 400, **given):
    db.session.rollback()
    return _detail_page(queries.warning_for(current_user, warning_id), status, **given)


def _admin_step(warning_id: int, action, form, text_field: str, done: str, form_name: str):
    queries.warning_for(current_user, warning_id)  # 404 for another park's warning
    if not form.validate_on_submit():
        return _refused(warning_id, **{form_name: form})
    try:
        action(current_user, warning_id, form[text_field].data or "")
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_error(form, exc)
        return _refused(warning_id, exc.status, **{form_name: form})
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(".detail", warning_id=warning_id))


@bp.post("/<int:warning_id>/forward")
@park_admin_required
def forward(warning_id: int):
    form = forms.NoteForm(prefix="forward")
    done = _("Forwarded to the enterprise for rectification.")
    return _admin_step(warning_id, services.forward, form, "note", done, "forward_form")


@bp.post("/<int:warning_id>/accept")
@park_admin_required
def accept(warning_id: int):
    form = forms.NoteForm(prefix="accept")
    done = _("Rectification accepted; the warning is closed.")
    return _admin_step(warning_id, services.accept, form, "note", done, "accept_form")


@bp.post("/<int:warning_id>/return")
@park_admin_required
def return_(warning_id: int):
    form = forms.ReasonForm(prefix="return")
    done = _("Returned to the enterprise with your reason.")
    return _admin_step(warning_id, services.return_, form, "reason", done, "return_form")


@bp.post("/<int:warning_id>/outcome")
@park_admin_required
def outcome(warning_id: int):
    form = forms.OutcomeForm(prefix="outcome")
    done = _("Outcome recorded; the warning is closed.")
    return _admin_step(warning_id, services.record_outcome, form, "outcome", done, "outcome_form")


@bp.get("/files/<int:file_id>")
@login_required
def file(file_id: int):
    row, path = queries.file_for(current_user, file_id)
    return serve_stored(path, row.mime, row.original_name)


# ---- the park's console ------------------------------------------------------------------


@bp.get("/admin/")
@park_admin_required
def console():
    form = forms.FilterForm(request.args)
    if not form.validate():
        flash(_("Unknown filter ignored."), "warning")
        form = forms.FilterForm(formdata=None)
    park_id = current_user.admin_park_id
    today = clock.today()
    return render_template(
        "warnings/console.html",
        form=form,
        rows=queries.console(current_user, form.category.data or "", form.level.data or "",
                             form.status.data or "", bool(form.waiting.data)),
        rate_year=queries.closure_rate(park_id, today.replace(month=1, day=1), today),
        rate_all=queries.closure_rate(park_id),
        by_category=queries.counts_by(park_id, "category"),
        by_level=queries.counts_by(park_id, "level"),
        waiting=queries.waiting_count(current_user),
        today=today,
    )  # fmt: skip


@bp.get("/admin/settings")
@park_admin_required
def settings_page():
    values = services.settings_for(current_user.admin_park_id).as_dict()
    form = forms.SettingsForm(formdata=None, data=values)
    return render_template("warnings/settings.html", form=form, names=forms.SETTING_NAMES)


@bp.post("/admin/settings")
@park_admin_required
def save_settings():
    form = forms.SettingsForm()
    if form.validate_on_submit():
        values = {name: form[name].data for name in forms.SETTING_NAMES}
        values = {k: bool(v) if k.endswith("_on") else v for k, v in values.items()}
        try:
            services.update_settings(current_user, current_user.admin_park_id, values)
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Warning settings saved; the next run uses them."), "success")
            return redirect(url_for(".settings_page"))
    return render_template("warnings/settings.html", form=form, names=forms.SETTING_NAMES), 400
