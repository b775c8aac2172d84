"""The facilitator's desk: the park's lots nobody bid on, their best matches, one click to
suggest a match to both parties, and what the suggestions became."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts.auth import park_admin_required
from market.admin.forms import DeskForm, SuggestForm
from market.errors import DomainError
from market.extensions import db
from market.facilitator import queries, services

bp = Blueprint("desk", __name__, url_prefix="/admin/desk")


def _page(form: DeskForm, status: int = 200):
    days = form.days.data if not form.errors and form.days.data else 7
    park_id = current_user.admin_park_id
    return render_template(
        "admin/desk.html",
        form=form,
        days=days,
        lots=queries.desk(park_id, days),
        sent=queries.sent(park_id),
        used=queries.sent_today(current_user.id),
        limit=current_app.config["FACILITATOR_DAILY_LIMIT"],
        suggest_form=SuggestForm(formdata=None),
    ), status


@bp.get("/")
@park_admin_required
def index():
    form = DeskForm(request.args)
    if not form.validate():
        flash(_("The number of days must be a whole number from 1 to 365."), "danger")
        return _page(form, 400)
    return _page(form)


@bp.post("/suggest")
@park_admin_required
def suggest():
    form = SuggestForm()
    days = min(max(request.args.get("days", type=int) or 7, 1), 365)
    if not form.validate_on_submit():
        flash(_("The suggestion could not be read; reload the page and try again."), "danger")
        return _page(DeskForm(formdata=None, days=days), 400)
    try:
        services.suggest(current_user, form.supply_id.data, form.demand_id.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _page(DeskForm(formdata=None, days=days), exc.status)
    db.session.commit()
    flash(_("Suggestion sent to both enterprises' inboxes."), "success")
    return redirect(url_for(".index", days=days))
