"""Credit grading pages: the park administrators' evaluations, checklist, review, appeal
decision and settings, and the graded enterprise's own grade and appeal."""

from fractions import Fraction

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market import clock
from market.accounts.auth import member_required, park_admin_required
from market.accounts.models import Enterprise
from market.accounts.views import form_error
from market.credit import forms, queries, services
from market.credit import settings as credit_settings
from market.credit.files import max_bytes, upload_of
from market.credit.labels import status_labels
from market.credit.states import EDITABLE, OPEN, EvaluationStatus
from market.errors import DomainError, NotFound
from market.extensions import db
from market.uploads import allow_larger_bodies, nonempty, serve_stored

bp = Blueprint("credit", __name__, url_prefix="/credit")
APPEAL_FILES = 5


def _body_limit(files: int):
    """Evidence may be larger than the app's 2 MB form limit (one file per mark, up to
    five per appeal); everything else keeps the app's limit."""
    return lambda: files * max_bytes() + 64 * 1024


@bp.record_once
def _before_the_csrf_check(state) -> None:
    allow_larger_bodies(
        state, {"credit.mark": _body_limit(1), "credit.appeal": _body_limit(APPEAL_FILES)}
    )


# ---- the administrator's list and opening an evaluation ---------------------------------


@bp.get("/admin/")
@park_admin_required
def admin_index():
    form = forms.FilterForm(request.args, status_labels=status_labels())
    if not form.validate():
        flash(_("Unknown filter ignored."), "warning")
        form = forms.FilterForm(formdata=None, status_labels=status_labels())
    if form.awaiting.data:
        rows = queries.awaiting_approval(current_user) + queries.appeals_to_decide(current_user)
    else:
        rows = queries.evaluations_visible_to(current_user, form.status.data or None)
    rows = _filtered(rows, form.role.data, form.grade.data)
    return render_template(
        "credit/admin_index.html",
        form=form,
        rows=rows,
        awaiting=len(queries.awaiting_approval(current_user)),
        appeals=len(queries.appeals_to_decide(current_user)),
    )


def _filtered(rows, role: str, grade: str):
    if role:
        rows = [e for e in rows if role in e.role_list]
    if grade:
        rows = [e for e in rows if e.grade == grade]
    return rows


def _park_enterprises():
    return list(
        db.session.execute(
            db.select(Enterprise)
            .filter_by(park_id=current_user.admin_park_id)
            .order_by(Enterprise.name)
        ).scalars()
    )


def _open_form(formdata=None) -> forms.OpenForm:
    form = forms.OpenForm(formdata=formdata) if formdata is not None else forms.OpenForm()
    form.enterprise.choices = [(e.id, f"{e.name} · {e.uscc}") for e in _park_enterprises()]
    return form


@bp.route("/admin/open", methods=["GET", "POST"])
@park_admin_required
def open_page():
    form = _open_form()
    if request.method == "GET":
        start, end = services.default_window(current_user.admin_park_id, clock.today())
        form.start.data, form.end.data = start, end
        wanted = request.args.get("enterprise", type=int)
        if wanted in {value for value, _label in form.enterprise.choices}:
            form.enterprise.data = wanted
    elif form.validate_on_submit():
        try:
            evaluation = services.open_evaluation(
                current_user, form.enterprise.data, form.start.data, form.end.data
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Evaluation opened; the online part is computed."), "success")
            return redirect(url_for(".detail", evaluation_id=evaluation.id))
    status = 400 if request.method == "POST" else 200
    return render_template("credit/open.html", form=form), status


# ---- one evaluation ----------------------------------------------------------------------


@bp.get("/evaluations/<int:evaluation_id>")
@login_required
def detail(evaluation_id: int):
    evaluation = queries.evaluation_for(current_user, evaluation_id)
    return _detail_page(evaluation)


@bp.get("/<int:evaluation_id>")
@login_required
def short_link(evaluation_id: int):
    """The inbox messages' link (/credit/<id>): checked, then the evaluation's page."""
    queries.evaluation_for(current_user, evaluation_id)
    return redirect(url_for(".detail", evaluation_id=evaluation_id))


def _detail_page(evaluation, mark_forms=None, status: int = 200, **forms_given):
    admin = current_user.is_park_admin
    mark_forms = mark_forms or {}
    if admin and evaluation.status in EDITABLE:
        for mark in evaluation.marks:
            mark_forms.setdefault(mark.item_key, _mark_form(mark))
    page_forms = {
        "return_form": forms.ReasonForm(formdata=None, prefix="return"),
        "cancel_form": forms.ReasonForm(formdata=None, prefix="cancel"),
        "approve_form": forms.ApproveForm(formdata=None),
        "decide_form": forms.DecideForm(formdata=None),
        "appeal_form": forms.AppealForm(formdata=None),
    }
    page_forms.update(forms_given)
    return render_template(
        "credit/detail.html",
        e=evaluation,
        admin=admin,
        online=queries.online_part(evaluation),
        breakdown=queries.breakdown(evaluation) or preview(evaluation),
        mark_forms=mark_forms,
        may=_may(evaluation),
        today=clock.today(),
        **page_forms,
    ), status


def preview(evaluation) -> dict:
    """Before submission: the online parts as computed and the checklist as marked so far,
    in the shape of a recorded breakdown (no total, no grade)."""
    parts = []
    for part in queries.online_part(evaluation).get("parts", []):
        parts.append({
            "name": part["name"], "max": part["max"], "score": _shown(part["exact"]),
            "deductions": [
                {"reason": d["reason"], "points": _shown(d["points"]), "subject": d["subject"],
                 "rows": [{"table": t, "id": i} for t, i in d["rows"]]}
                for d in part["deductions"]
            ],
        })  # fmt: skip
    marked = [m.points_tenths for m in evaluation.marks if m.points_tenths is not None]
    offline_most = sum(m.max_points for m in evaluation.marks)
    parts.append({"name": "offline", "max": offline_most, "deductions": [],
                  "score": f"{sum(marked) / 10:.1f}" if marked else "—"})  # fmt: skip
    return {"parts": parts, "total": None, "preview": True}


def _shown(exact: str) -> str:
    return f"{float(Fraction(exact)):.1f}"


def _mark_form(mark) -> forms.MarkForm:
    form = forms.MarkForm(formdata=None, prefix=f"m{mark.id}")
    if mark.points_tenths is not None:
        form.points.data = f"{mark.points_tenths // 10}.{mark.points_tenths % 10}"
    form.note.data = mark.note
    return form


def _may(evaluation) -> dict[str, bool]:
    """Which buttons this user sees; the services check the same again on a post."""
    user, status = current_user, evaluation.status
    graders = {evaluation.opened_by_id, evaluation.submitted_by_id, evaluation.approved_by_id}
    appeal = evaluation.appeal
    return {
        "edit": user.is_park_admin and status in EDITABLE,
        "cancel": user.is_park_admin and status in OPEN,
        "review": user.is_park_admin
        and status == EvaluationStatus.SUBMITTED
        and evaluation.submitted_by_id != user.id,
        "own_submission": status == EvaluationStatus.SUBMITTED
        and evaluation.submitted_by_id == user.id,
        "decide": user.is_park_admin
        and status == EvaluationStatus.APPEALED
        and user.id not in graders,
        "appeal": not user.is_park_admin
        and status == EvaluationStatus.PUBLISHED
        and appeal is None
        and evaluation.appeal_until is not None
        and clock.today() <= evaluation.appeal_until,
    }


@bp.post("/evaluations/<int:evaluation_id>/marks/<int:mark_id>")
@park_admin_required
def mark(evaluation_id: int, mark_id: int):
    evaluation = queries.evaluation_for(current_user, evaluation_id)
    row = next((m for m in evaluation.marks if m.id == mark_id), None)
    if row is None:
        raise NotFound(_("No such checklist item."))
    form = forms.MarkForm(prefix=f"m{row.id}")
    if form.validate_on_submit():
        try:
            _save_mark(evaluation, row, form)
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("“%(item)s” saved.", item=_label(row)), "success")
            return redirect(url_for(".detail", evaluation_id=evaluation_id, _anchor=f"m{row.id}"))
    db.session.rollback()
    evaluation = queries.evaluation_for(current_user, evaluation_id)
    return _detail_page(evaluation, {row.item_key: form}, status=400)


def _save_mark(evaluation, row, form) -> None:
    services.set_mark(
        current_user, evaluation.id, row.item_key, form.points.data or None, form.note.data or ""
    )
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        services.attach_evidence(current_user, evaluation.id, row.item_key, upload_of(upload))


def _label(row) -> str:
    from market.formatting import current_locale

    return row.label_en if current_locale() == "en" else row.label_zh


def call_and_flash(action, row_id: int, args: tuple, message: str, back: str):
    """Call one service as the current user and commit; a refusal is flashed (403 and
    404 stay errors) and rolled back. Then back to `back`."""
    try:
        action(current_user, row_id, *args)
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(back)


def _simple(evaluation_id: int, action, message: str, *args):
    """Call one service; its refusal is shown on the evaluation page."""
    queries.evaluation_for(current_user, evaluation_id)  # 404 for other parks' evaluations
    back = url_for(".detail", evaluation_id=evaluation_id)
    return call_and_flash(action, evaluation_id, args, message, back)


@bp.post("/evaluations/<int:evaluation_id>/refresh")
@park_admin_required
def refresh(evaluation_id: int):
    return _simple(evaluation_id, services.refresh_online, _("The online part is recomputed."))


@bp.post("/evaluations/<int:evaluation_id>/submit")
@park_admin_required
def submit(evaluation_id: int):
    done = _("Submitted. A second administrator of the park approves or returns it.")
    return _simple(evaluation_id, services.submit_evaluation, done)


@bp.post("/evaluations/<int:evaluation_id>/approve")
@park_admin_required
def approve(evaluation_id: int):
    form = forms.ApproveForm()
    if not form.validate_on_submit():
        return _form_refused(evaluation_id, approve_form=form)
    message = _("Approved: the grade is published.")
    return _simple(evaluation_id, services.approve_evaluation, message, form.note.data or "")


@bp.post("/evaluations/<int:evaluation_id>/return")
@park_admin_required
def return_(evaluation_id: int):
    form = forms.ReasonForm(prefix="return")
    if not form.validate_on_submit():
        return _form_refused(evaluation_id, return_form=form)
    message = _("Returned to the grader with your reason.")
    return _simple(evaluation_id, services.return_evaluation, message, form.reason.data)


@bp.post("/evaluations/<int:evaluation_id>/cancel")
@park_admin_required
def cancel(evaluation_id: int):
    form = forms.ReasonForm(prefix="cancel")
    if not form.validate_on_submit():
        return _form_refused(evaluation_id, cancel_form=form)
    return _simple(
        evaluation_id, services.cancel_evaluation, _("Evaluation withdrawn."), form.reason.data
    )


@bp.post("/evaluations/<int:evaluation_id>/decide")
@park_admin_required
def decide(evaluation_id: int):
    form = forms.DecideForm()
    if not form.validate_on_submit():
        return _form_refused(evaluation_id, decide_form=form)
    return _simple(
        evaluation_id, services.decide_appeal, _("The appeal is decided."),
        form.outcome.data, form.note.data, form.new_grade.data or None,
    )  # fmt: skip


@bp.post("/evaluations/<int:evaluation_id>/appeal")
@member_required
def appeal(evaluation_id: int):
    form = forms.AppealForm()
    if not form.validate_on_submit():
        return _form_refused(evaluation_id, appeal_form=form)
    uploads = [upload_of(f) for f in nonempty(form.files.data)]
    if len(uploads) > APPEAL_FILES:
        form.files.errors = [_("At most %(n)s files.", n=APPEAL_FILES)]
        return _form_refused(evaluation_id, appeal_form=form)
    try:
        services.file_appeal(current_user, evaluation_id, form.reason.data, uploads)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_error(form, exc)
        return _form_refused(evaluation_id, exc.status, appeal_form=form)
    db.session.commit()
    flash(_("Your appeal is filed; an administrator who did not grade you decides it."), "success")
    return redirect(url_for(".detail", evaluation_id=evaluation_id))


def _form_refused(evaluation_id: int, status: int = 400, **given):
    db.session.rollback()
    evaluation = queries.evaluation_for(current_user, evaluation_id)
    return _detail_page(evaluation, status=status, **given)


# ---- evidence files ----------------------------------------------------------------------


@bp.get("/evidence/<int:evidence_id>")
@login_required
def evidence(evidence_id: int):
    row, path = queries.evidence_for(current_user, evidence_id)
    return serve_stored(path, row.mime, row.original_name)


@bp.post("/evidence/<int:evidence_id>/remove")
@park_admin_required
def remove_evidence(evidence_id: int):
    row, _path = queries.evidence_for(current_user, evidence_id)
    evaluation_id = row.evaluation_id
    try:
        services.remove_evidence(current_user, evidence_id)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("Evidence removed."), "info")
    return redirect(url_for(".detail", evaluation_id=evaluation_id))


# ---- the enterprise's own grade ----------------------------------------------------------


@bp.get("/mine")
@member_required
def mine():
    enterprise = current_user.enterprise
    current = queries.in_force(enterprise.id)
    return render_template(
        "credit/mine.html",
        enterprise=enterprise,
        current=current,
        breakdown=queries.breakdown(current) if current else {},
        history=queries.history(enterprise.id),
        today=clock.today(),
    )


# ---- the park's settings and checklist ---------------------------------------------------


@bp.get("/admin/settings")
@park_admin_required
def settings_page():
    return _settings_page()


def _settings_page(settings_form=None, item_form=None, status: int = 200):
    park_id = current_user.admin_park_id
    row = credit_settings.settings_row(park_id)
    items = credit_settings.checklist_rows(park_id, active_only=False)
    db.session.commit()  # the defaults, made the first time they are read
    if settings_form is None:
        settings_form = forms.SettingsForm(formdata=None, obj=row)
    if item_form is None:
        chosen = next((i for i in items if i.key == request.args.get("edit")), None)
        item_form = forms.ChecklistItemForm(formdata=None, obj=chosen)
    return render_template(
        "credit/settings.html",
        settings_form=settings_form,
        item_form=item_form,
        items=items,
        fields=credit_settings.SETTING_FIELDS,
    ), status


@bp.post("/admin/settings")
@park_admin_required
def save_settings():
    form = forms.SettingsForm()
    if form.validate_on_submit():
        values = {name: form[name].data for name in credit_settings.SETTING_FIELDS}
        try:
            credit_settings.update_settings(current_user, current_user.admin_park_id, values)
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Credit settings saved."), "success")
            return redirect(url_for(".settings_page"))
    return _settings_page(settings_form=form, status=400)


@bp.post("/admin/checklist")
@park_admin_required
def save_item():
    form = forms.ChecklistItemForm()
    if form.validate_on_submit():
        data = credit_settings.ItemInput(
            key=form.key.data, role=form.role.data, label_zh=form.label_zh.data,
            label_en=form.label_en.data, max_points=form.max_points.data,
            guidance=form.guidance.data or "", position=form.position.data or 0,
            active=form.active.data,
        )  # fmt: skip
        try:
            credit_settings.save_checklist_item(current_user, current_user.admin_park_id, data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Checklist item saved; evaluations opened from now on use it."), "success")
            return redirect(url_for(".settings_page", _anchor="checklist"))
    return _settings_page(item_form=form, status=400)
