"""Pages for bidding on a lot, accepting a bid, the deals list and a deal's page."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.accounts.auth import member_required, role_required
from market.accounts.models import Role
from market.deals import services
from market.deals.forms import BidForm, CancelDealForm
from market.deals.models import Deal
from market.deals.queries import deal_history, deals_for, may_see_deal
from market.extensions import db
from market.listings import bidding
from market.listings.forms import BEIJING

bp = Blueprint("deals", __name__)


def bid_input(form: BidForm) -> bidding.BidInput:
    until = form.valid_until.data
    return bidding.BidInput(
        price_yuan=form.price_yuan.data,
        quantity_t=form.quantity_t.data,
        valid_until=until.replace(tzinfo=BEIJING) if until else None,
        note=form.note.data or "",
    )


@bp.post("/listings/supply/<int:lot_id>/bids")
@role_required(Role.RECYCLER)
def place(lot_id: int):
    form = BidForm()
    back = redirect(url_for("listings.detail", kind="supply", listing_id=lot_id))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(str(errors[0]), "danger")
        return back
    bidding.place_bid(current_user, lot_id, bid_input(form))
    db.session.commit()
    flash(_("Your bid is in."), "success")
    return back


@bp.post("/bids/<int:bid_id>/withdraw")
@member_required
def withdraw(bid_id: int):
    bid = bidding.withdraw_bid(current_user, bid_id)
    db.session.commit()
    flash(_("Bid withdrawn."), "info")
    return redirect(url_for("listings.detail", kind="supply", listing_id=bid.supply_listing_id))


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
