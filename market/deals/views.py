"""Pages for accepting a bid (which makes a deal), the deals list and a deal's page with its
manifests: starting one, the recycler's consent to more, and completing the deal."""

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.accounts.auth import member_required
from market.accounts.views import form_error
from market.deals import payments, services
from market.deals.forms import CancelDealForm, CardForm, CompleteDealForm, RetryForm
from market.deals.models import Deal
from market.deals.queries import deal_history, deals_for, may_see_deal
from market.errors import DomainError
from market.extensions import db
from market.formatting import price_label, tonnes_label, yuan
from market.formfields import choices
from market.listings.forms import ConfirmForm
from market.listings.models import Bid
from market.manifests import queries as manifest_queries
from market.manifests import services as manifest_services
from market.manifests.forms import ConsentForm, StartForm, consent_kg, start_input
from market.manifests.views import refused

bp = Blueprint("deals", __name__)
RECEIVED = re.compile(r"received (\d+) kg")  # the note settle_deal writes


@bp.app_template_global()
def lot_deal(lot_id: int) -> Deal | None:
    """The deal a lot was awarded in, if the viewer may see it (for the lot's page)."""
    deal = db.session.scalar(
        db.select(Deal).where(Deal.supply_listing_id == lot_id).order_by(Deal.id.desc()).limit(1)
    )  # the latest: a cancelled deal's lot may have been dealt again
    return deal if deal is not None and may_see_deal(current_user, deal) else None


def _own_lot_bid(bid_id: int) -> Bid:
    bid = db.session.get(Bid, bid_id)
    if bid is None:
        abort(404)
    if bid.listing.enterprise_id != current_user.enterprise_id:
        abort(403)
    return bid


def _accept_page(bid: Bid, form: ConfirmForm, status: int = 200):
    amount = payments.amount_for(bid.quantity_kg, bid.price_fen)
    if bid.price_fen > 0:
        who = _("Your enterprise is paid %(amount)s by the recycler.", amount=yuan(amount))
    elif bid.price_fen < 0:
        who = _("Your enterprise pays a disposal fee of %(amount)s.", amount=yuan(amount))
    else:
        who = _("No money changes hands.")
    return render_template(
        "confirm.html",
        heading=_("Accept this bid?"),
        summary=[
            (_("Lot"), bid.listing.title),
            (_("Bidder"), bid.enterprise.name),
            (_("Price"), price_label(bid.price_fen)),
            (_("Quantity"), tonnes_label(bid.quantity_kg)),
            (_("Amount"), who),
        ],
        consequence=_(
            "Accepting makes a binding deal: the payment is authorised at once and every "
            "other bid on the lot is turned down."
        ),
        form=form,
        action=url_for("deals.accept", bid_id=bid.id),
        button=_("Accept the bid"),
        back=url_for("listings.detail", kind="supply", listing_id=bid.supply_listing_id),
        danger=False,
    ), status


@bp.get("/bids/<int:bid_id>/accept")
@member_required
def confirm_accept(bid_id: int):
    return _accept_page(_own_lot_bid(bid_id), ConfirmForm(formdata=None))


@bp.post("/bids/<int:bid_id>/accept")
@member_required
def accept(bid_id: int):
    bid = _own_lot_bid(bid_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _accept_page(bid, form, 400)
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
    return deal_page(_load(deal_id))


def _start_form(deal: Deal, formdata=None) -> StartForm:
    form = StartForm(formdata=formdata) if formdata is not None else StartForm(formdata=None)
    rows = manifest_queries.transporters(deal.generator.park_id, deal)
    form.transporter_id.choices = choices(*((e.id, e.name) for e in rows))
    if formdata is None:
        form.waste_name.data = deal.listing.local_name
        last = manifest_queries.deal_manifests(deal)[-1:]
        if last:  # the next trip most likely goes with the same carrier
            form.transporter_id.data = last[0].transporter_id
    return form


def _manifest_forms(deal: Deal) -> dict:
    """The manifest steps the user's side may take on this deal now."""
    if deal.status != "made":
        return {}
    me, forms = current_user.enterprise_id, {}
    if me == deal.generator_id:
        forms["start"] = _start_form(deal)
        forms["complete"] = CompleteDealForm(formdata=None)
    if me == deal.recycler_id:
        forms["consent"] = ConsentForm(formdata=None, extra_kg=deal.extra_allowed_kg or None)
    return forms


def deal_page(deal: Deal, status: int = 200, **bound):
    events, payment_events = deal_history(deal)
    due = services.payment_due(deal)
    return render_template(
        "deals/detail.html",
        deal=deal,
        events=events,
        payment_events=payment_events,
        form=CancelDealForm(formdata=None),
        party=deal.party(current_user.enterprise_id),
        due=due,
        i_pay=due is not None and due.payer_id == current_user.enterprise_id,
        manifests=manifest_queries.deal_manifests(deal),
        totals=manifest_queries.deal_totals(deal),
        mforms={**_manifest_forms(deal), **bound},
    ), status


def _act(deal_id: int, name: str, form, call, done, then=None):
    """Validate `form`, call the service, commit, flash `done` (a message, or a function of
    the result giving (message, category)), run `then` (after-commit effects; it may
    return where to go) and go back; else the deal page with the errors beside the fields."""
    deal = _load(deal_id)
    status = 400
    if form.validate_on_submit():
        try:
            result = call(form)
        except DomainError as exc:
            status = refused(form, exc)
        else:
            db.session.commit()
            flash(*(done(result) if callable(done) else (done, "success")))
            target = then(result) if then else None
            return redirect(target or url_for("deals.detail", deal_id=deal_id, _anchor=name))
    db.session.refresh(deal)
    return deal_page(deal, status, **{name: form})


@bp.post("/deals/<int:deal_id>/manifests")
@member_required
def start_manifest(deal_id: int):
    return _act(
        deal_id,
        "start",
        _start_form(_load(deal_id), request.form),
        lambda f: manifest_services.start_manifest(current_user, deal_id, start_input(f)),
        _started,
        then=lambda manifest: url_for("manifests.detail", manifest_id=manifest.id),
    )


def _started(manifest) -> tuple[str, str]:
    if manifest.replayed:  # the same form sent twice (a double click, a retry)
        message = _(
            "This form had already started manifest %(number)s; it was not started twice.",
            number=manifest.number,
        )
        return message, "info"
    return _("Manifest submitted with your signature."), "success"


@bp.post("/deals/<int:deal_id>/allow-more")
@member_required
def allow_more(deal_id: int):
    return _act(
        deal_id,
        "consent",
        ConsentForm(),
        lambda f: manifest_services.allow_excess(current_user, deal_id, consent_kg(f)),
        _("The generator may now declare more on this deal."),
    )


@bp.post("/deals/<int:deal_id>/complete")
@member_required
def complete(deal_id: int):
    return _act(
        deal_id,
        "complete",
        CompleteDealForm(),
        lambda f: manifest_services.complete_deal(current_user, deal_id),
        _("Deal completed; the payment was captured on the received total."),
        then=services.after_commit_payment,  # a top-up is charged only after the commit
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


def _payer_deal(deal_id: int) -> Deal:
    """The deal, for its paying enterprise only (403 for the other party)."""
    deal = _load(deal_id)
    due = services.payment_due(deal)
    payer = due.payer_id if due else (deal.payment.payer_id if deal.payment else None)
    if payer != current_user.enterprise_id:
        abort(403)
    return deal


@bp.route("/deals/<int:deal_id>/payment", methods=["GET", "POST"])
@member_required
def payment_method(deal_id: int):
    """The payer adds or changes its card, and the waiting payment is tried again."""
    deal = _payer_deal(deal_id)
    form, status = CardForm(), 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                payment = services.pay_with_card(current_user, deal_id, form.card())
            except DomainError as exc:
                form_error(form, exc)
                status = exc.status
            else:
                return _after_retry(deal_id, payment.id)
    db.session.refresh(deal)
    due = services.payment_due(deal)
    on_file = bool(deal.payment and deal.payment.payer.stripe_payment_method_id)
    return render_template(
        "deals/payment.html", deal=deal, due=due, form=form, retry=RetryForm(), on_file=on_file
    ), status


@bp.post("/deals/<int:deal_id>/payment/retry")
@member_required
def retry_payment(deal_id: int):
    """Try the waiting payment again with the payment method on file."""
    _payer_deal(deal_id)
    if not RetryForm().validate_on_submit():
        abort(400)
    payment = services.retry_payment(current_user, deal_id)
    return _after_retry(deal_id, payment.id)


def _after_retry(deal_id: int, payment_id: int):
    db.session.commit()
    payment = services.attempt_payment(payment_id)
    status = payment.status if payment is not None else "busy"
    messages = {
        "authorised": (_("The payment is authorised."), "success"),
        "captured": (_("The payment is made."), "success"),
        "failed": (_("The payment was refused again; check the payment method."), "danger"),
        "pending": (_("The payment service is unreachable; it is tried again shortly."), "info"),
        "busy": (_("The payment is being processed; see the result in a minute."), "info"),
    }
    text, kind = messages.get(status, messages["busy"])
    flash(text, kind)
    return redirect(url_for("deals.detail", deal_id=deal_id))


@bp.app_template_global()
def deal_event_text(event) -> str:
    """A deal history line's detail, worded here: the cancel reason a user typed, the
    received quantity of a settlement; nothing of the system's own notes verbatim."""
    if event.event == "cancel":
        return event.note or ""
    if event.event == "complete":
        kg = RECEIVED.match(event.note or "")
        return _("received %(qty)s", qty=tonnes_label(int(kg.group(1)))) if kg else ""
    return ""
