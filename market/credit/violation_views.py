"""Serious violations (严重违法行为): one park administrator reports, a second confirms
(the grade in force falls to D at once) or dismisses with a reason."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market import clock
from market.accounts.auth import park_admin_required
from market.accounts.views import form_error
from market.credit import forms, queries, services
from market.credit.views import _park_enterprises, call_and_flash
from market.errors import DomainError
from market.extensions import db

bp = Blueprint("credit_violations", __name__, url_prefix="/credit/admin/violations")


def _form(from_request: bool = True) -> forms.ViolationForm:
    form = forms.ViolationForm() if from_request else forms.ViolationForm(formdata=None)
    form.enterprise.choices = [(e.id, f"{e.name} · {e.uscc}") for e in _park_enterprises()]
    return form


def _page(form, status: int = 200):
    return render_template(
        "credit/violations.html",
        form=form,
        rows=queries.violations_of_park(current_user.admin_park_id),
        confirm_form=forms.ApproveForm(formdata=None),
        dismiss_form=forms.ReasonForm(formdata=None, prefix="dismiss"),
    ), status


@bp.get("/")
@park_admin_required
def index():
    form = _form(from_request=False)
    form.occurred_on.data = clock.today()
    return _page(form)


@bp.post("/")
@park_admin_required
def report():
    form = _form()
    if form.validate_on_submit():
        try:
            services.report_violation(
                current_user, form.enterprise.data, form.occurred_on.data, form.description.data
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Reported; a second administrator confirms or dismisses it."), "success")
            return redirect(url_for(".index"))
    return _page(form, 400)


@bp.post("/<int:violation_id>/confirm")
@park_admin_required
def confirm(violation_id: int):
    form = forms.ApproveForm()
    if not form.validate_on_submit():
        return _page(_form(from_request=False), 400)
    return _decide(services.confirm_violation, violation_id, form.note.data or "",
                   _("Confirmed: the enterprise's grade in force is now D."))  # fmt: skip


@bp.post("/<int:violation_id>/dismiss")
@park_admin_required
def dismiss(violation_id: int):
    form = forms.ReasonForm(prefix="dismiss")
    if not form.validate_on_submit():
        flash(_("Give a reason to dismiss it."), "danger")
        return _page(_form(from_request=False), 400)
    return _decide(services.dismiss_violation, violation_id, form.reason.data, _("Dismissed."))


def _decide(action, violation_id: int, text: str, done: str):
    return call_and_flash(action, violation_id, (text,), done, url_for(".index"))
