"""The park administrator's licence review queue and enterprise suspension."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts import licences
from market.accounts.auth import park_admin_required
from market.accounts.forms import ReviewForm, SuspendForm
from market.accounts.views import form_error
from market.errors import DomainError
from market.extensions import db

bp = Blueprint("review", __name__, url_prefix="/admin")


@bp.get("/licences")
@park_admin_required
def queue():
    return render_template(
        "admin/licences.html",
        pending=licences.review_queue(current_user),
        decided=licences.recent_decisions(current_user),
    )


def _detail(licence, form, status=200):
    return render_template("admin/licence.html", licence=licence, form=form), status


@bp.get("/licences/<int:licence_id>")
@park_admin_required
def detail(licence_id: int):
    return _detail(licences.park_licence(current_user, licence_id), ReviewForm())


@bp.post("/licences/<int:licence_id>/<any(approve, reject):decision>")
@park_admin_required
def decide(licence_id: int, decision: str):
    licence = licences.park_licence(current_user, licence_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            if decision == "approve":
                licences.approve_licence(current_user, licence, form.note.data)
            else:
                licences.reject_licence(current_user, licence, form.note.data)
        except DomainError as exc:
            if exc.status == 409:
                raise
            form_error(form, exc)
        else:
            db.session.commit()
            done = _("Licence approved.") if decision == "approve" else _("Licence rejected.")
            flash(done, "success")
            return redirect(url_for("review.queue"))
    return _detail(licence, form, 400)


@bp.post("/enterprises/<int:enterprise_id>/suspend")
@park_admin_required
def suspend(enterprise_id: int):
    form = SuspendForm()
    if not form.validate_on_submit():
        flash(_("Say why the enterprise is suspended."), "danger")
        return redirect(url_for("admin.enterprise", enterprise_id=enterprise_id))
    licences.suspend_enterprise(current_user, enterprise_id, form.reason.data)
    db.session.commit()
    flash(_("The enterprise is suspended; its listings are hidden."), "success")
    return redirect(url_for("admin.enterprise", enterprise_id=enterprise_id))


@bp.post("/enterprises/<int:enterprise_id>/reinstate")
@park_admin_required
def reinstate(enterprise_id: int):
    licences.reinstate_enterprise(current_user, enterprise_id)
    db.session.commit()
    flash(_("The suspension is lifted."), "success")
    return redirect(url_for("admin.enterprise", enterprise_id=enterprise_id))
