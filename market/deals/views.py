"""Pages for accepting a bid (which makes a deal), the deals list and a deal's page with its
manifests: starting one, the recycler's consent to more, and completing the deal."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.accounts.auth import member_required
from market.deals import services
from market.deals.forms import CancelDealForm, CompleteDealForm
from market.deals.models import Deal
from market.deals.queries import deal_history, deals_for, may_see_deal
from market.errors import DomainError
from market.extensions import db
from market.formfields import choices
from market.manifests import queries as manifest_queries
from market.manifests import services as manifest_services
from market.manifests.forms import ConsentForm, StartForm, consent_kg, start_input
from market.manifests.views import refused

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
    return render_template(
        "deals/detail.html",
        deal=deal,
        events=events,
        payment_events=payment_events,
        form=CancelDealForm(formdata=None),
        party=deal.party(current_user.enterprise_id),
        manifests=manifest_queries.deal_manifests(deal),
        totals=manifest_queries.deal_totals(deal),
        mforms={**_manifest_forms(deal), **bound},
    ), status


def _act(deal_id: int, name: str, form, call, done: str, then=None):
    """Validate `form`, call the service, commit, run `then` (after-commit effects; it may
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
            flash(done, "success")
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
        lambda f: manifest_services.start_manifest(current_user, deal_id, start_input(f)).id,
        _("Manifest submitted with your signature."),
        then=lambda manifest_id: url_for("manifests.detail", manifest_id=manifest_id),
    )


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
