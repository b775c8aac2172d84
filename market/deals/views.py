"""Pages for accepting a bid (which makes a deal), the deals list and a deal's page."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.accounts.auth import member_required
from market.deals import services
from market.deals.forms import CancelDealForm
from market.deals.models import Deal
from market.deals.queries import deal_history, deals_for, may_see_deal
from market.extensions import db

bp = Blueprint("deals", __name__)


@bp.post("/bids/<int:bid_id>/accept")
@member_required
def accept(bid_id: int):
    deal = services.accept_bid(current_user, bid_id)
    db.session.commit()
    services.after_commit_payment(deal)
    flash(_("Deal made."), "success")
    return redirect(url_for("deals.detail", deal_id=deal.id))


@bp.get("/deals/")
@login_required
def index():
    page = db.paginate(deals_for(current_user), per_page=30, error_out=False)
    return render_template("deals/index.html", page=page)


def _load(deal_id: int) -> Deal:
    deal = db.session.get(Deal, deal_id)
    if deal is None or not may_see_deal(current_user, deal):
        abort(404)
    return deal


@bp.get("/deals/<int:deal_id>")
@login_required
def detail(deal_id: int):
    deal = _load(deal_id)
    events, payment_events = deal_history(deal)
    return render_template(
        "deals/detail.html",
        deal=deal,
        events=events,
        payment_events=payment_events,
        form=CancelDealForm(),
        party=deal.party(current_user.enterprise_id),
    )


@bp.post("/deals/<int:deal_id>/cancel")
@member_required
def cancel(deal_id: int):
    _load(deal_id)
    form = CancelDealForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for cancelling."), "danger")
        return redirect(url_for("deals.detail", deal_id=deal_id))
    services.cancel_deal(current_user, deal_id, form.note.data)
    db.session.commit()
    flash(_("Deal cancelled; the payment authorisation was released."), "info")
    return redirect(url_for("deals.detail", deal_id=deal_id))
