"""Pages for browsing, posting, editing, publishing and withdrawing listings, and for
placing and withdrawing bids on a lot."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.accounts.auth import member_required, role_required
from market.accounts.labels import licence_status
from market.accounts.models import Licence, Role
from market.accounts.views import form_error
from market.db import fen_to_yuan, tonnes
from market.errors import DomainError
from market.extensions import db
from market.formatting import price_label, tonnes_label
from market.formfields import choices
from market.listings import attachments, bidding, queries, services
from market.listings.bidding import best_price, close_bidding_if_due
from market.listings.forms import (
    AttachmentForm,
    BidForm,
    BrowseForm,
    ConfirmForm,
    DemandForm,
    PublicBrowseForm,
    SupplyForm,
    bid_input,
    demand_input,
    fill_demand_form,
    fill_supply_form,
    park_choices,
    site_choices,
    supply_input,
)
from market.listings.lifecycle import status_label
from market.listings.models import Bid, DemandListing, ListingEventRow, SupplyListing
from market.listings.states import EDITABLE
from market.matching import service as matching
from market.matching.views import may_match

bp = Blueprint("listings", __name__)  # no prefix: bids live under /bids/ too

MODELS = {"supply": SupplyListing, "demand": DemandListing}


def _load(kind: str, listing_id: int):
    model = MODELS.get(kind) or abort(404)
    listing = db.session.scalar(
        db.select(model).where(model.id == listing_id).options(*queries.page_loads(model))
    )
    if listing is None:
        abort(404)
    if not queries.can_view(current_user, listing):
        abort(404)  # a draft of another enterprise does not exist for you
    return listing


@bp.get("/listings/")
def browse():
    if not current_user.is_authenticated:
        return public_browse()
    form = BrowseForm(request.args)
    if "sort" not in request.args and current_user.enterprise is not None:
        form.sort.data = "distance"  # a plant looks for partners nearby first
    form.park_id.choices = park_choices(_("all parks"))
    if not form.validate():
        return render_template("listings/browse.html", form=form, page=None), 400
    f = queries.BrowseFilter(
        **{k: v for k, v in form.data.items() if k != "page"},
        page=form.page.data or 1,
        mine=request.args.get("mine") == "1",
    )
    scores = best_match_scores(current_user) if f.sort == "match" and f.kind == "supply" else None
    page = queries.browse(current_user, f, match_scores=scores)
    distances = {item.id: queries.distance_from(current_user, item) for item in page.items}
    return render_template(
        "listings/browse.html", form=form, page=page, distances=distances, kind=f.kind
    )


def public_browse():
    """The public window: open listings with the fields anyone may see, and a call to
    register; no names, prices, contacts, bids or links to the listing's page."""
    form = PublicBrowseForm(request.args)
    form.park_id.choices = park_choices(_("all parks"))
    if not form.validate():
        return render_template("listings/public.html", form=form, page=None), 400
    f = queries.BrowseFilter(
        **{k: v for k, v in form.data.items() if k != "page"}, page=form.page.data or 1
    )
    page = queries.browse(None, f)
    return render_template("listings/public.html", form=form, page=page, kind=f.kind)


def best_match_scores(user) -> dict[int, float]:
    """Each open lot's best score against any of the user's open demand listings."""
    if user.enterprise_id is None:
        return {}
    demands = (
        db.session.execute(
            db.select(DemandListing).filter_by(enterprise_id=user.enterprise_id, status="open")
        )
        .scalars()
        .all()
    )
    best: dict[int, float] = {}
    for demand in demands:
        for m in matching.rank_supply_for(demand, k=500).matches:
            best[m.id] = max(best.get(m.id, 0.0), m.score)
    return best


@bp.get("/listings/<kind>/<int:listing_id>")
@login_required
def detail(kind: str, listing_id: int):
    listing = _load(kind, listing_id)
    # The checks on access, before the history is read, so it shows what they did.
    before = listing.status
    services.expire_if_due(listing)
    if kind == "supply":
        close_bidding_if_due(listing)
    if listing.status != before:
        # only then: a commit expires every loaded row, and the page would read the
        # listing, its enterprise and the user again
        db.session.commit()
    return listing_page(kind, listing)


def listing_page(
    kind: str,
    listing,
    form: BidForm | None = None,
    status: int = 200,
    attach_form: AttachmentForm | None = None,
):
    """A listing's page; `form` is a bid form that failed, shown with its errors, and
    `attach_form` an upload that failed."""
    key = "supply_listing_id" if kind == "supply" else "demand_listing_id"
    events = (
        db.session.execute(
            db.select(ListingEventRow).filter_by(**{key: listing.id}).order_by(ListingEventRow.id)
        )
        .scalars()
        .all()
    )
    mine = current_user.enterprise_id == listing.enterprise_id
    bids = None
    if kind == "supply":
        bids = queries.bid_view(listing, current_user)
        form = form or bid_form(listing, best=bids.best_fen)
    return render_template(
        "listings/detail.html",
        listing=listing,
        kind=kind,
        events=events,
        mine=mine,
        can_match=may_match(current_user, listing) and listing.status in ("draft", "open"),
        distance=queries.distance_from(current_user, listing),
        bids=bids,
        bid_form=form,
        files=attachments.attachments_of(listing),
        may_add_files=attachments.may_add(current_user, listing),
        may_remove_files=attachments.may_remove(current_user, listing),
        attach_form=attach_form or AttachmentForm(formdata=None),
        file_limits=(attachments.STORE.max_bytes() / 1024 / 1024, attachments.max_files()),
    ), status


_ASK = object()


def bid_form(lot: SupplyListing, best=_ASK) -> BidForm:
    """Pre-filled: the whole lot, at just above the best price (or the asking price);
    `best`: the open lot's best price when the caller has it already (the bid view)."""
    form = BidForm(formdata=None)
    if best is _ASK:
        best = best_price(lot.id) if lot.bidding_mode == "open" else None
    form.price_yuan.data = fen_to_yuan(best + 100 if best is not None else lot.asking_price_fen)
    form.quantity_t.data = tonnes(lot.quantity_kg)
    return form


def _licence_choices(form: DemandForm) -> None:
    licences = (
        db.session.execute(db.select(Licence).filter_by(enterprise_id=current_user.enterprise_id))
        .scalars()
        .all()
    )
    form.licence_id.choices = choices(
        (0, _("no licence (general waste only)")),
        *((lic.id, _licence_label(lic)) for lic in licences),
    )


def _licence_label(lic: Licence) -> str:
    """Number and validity; a licence not yet approved says so (it covers nothing yet)."""
    label = f"{lic.number} ({lic.valid_from} – {lic.valid_until})"
    return label if lic.is_approved else f"{label} · {licence_status(lic.status)}"


def _create(kind: str, form, make):
    """Shared by both "post" pages: validate, create through the service, publish if asked."""
    if form.validate_on_submit():
        try:
            listing = make(current_user, form)
            if request.form.get("publish"):
                services.publish(current_user, listing)
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Listing saved."), "success")
            return redirect(url_for("listings.detail", kind=kind, listing_id=listing.id))
    status = 400 if request.method == "POST" else 200
    return render_template("listings/form.html", form=form, kind=kind, listing=None), status


def _sites(form) -> None:
    site_choices(form, current_user.enterprise.park_id, _("— none: type the address —"))


@bp.route("/listings/supply/new", methods=["GET", "POST"])
@role_required(Role.GENERATOR)
def new_supply():
    form = SupplyForm()
    _sites(form)
    return _create(
        "supply", form, lambda user, form: services.create_supply(user, supply_input(form))
    )


@bp.route("/listings/demand/new", methods=["GET", "POST"])
@role_required(Role.RECYCLER)
def new_demand():
    form = DemandForm()
    _licence_choices(form)
    _sites(form)
    if request.method == "GET":
        park_id = current_user.enterprise.park_id
        form.service_radius_km.data = matching.settings_row(park_id).default_radius_km
    return _create(
        "demand", form, lambda user, form: services.create_demand(user, demand_input(form))
    )


@bp.route("/listings/<kind>/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(kind: str, listing_id: int):
    listing = _load(kind, listing_id)
    try:
        services.require_owner(current_user, listing)
    except DomainError:
        abort(403)
    if listing.status not in EDITABLE:  # say so now, not after the user has typed
        flash(
            _(
                "A listing that is %(status)s can no longer be edited.",
                status=status_label(listing.status),
            ),
            "warning",
        )
        return redirect(url_for("listings.detail", kind=kind, listing_id=listing.id))
    form = SupplyForm() if kind == "supply" else DemandForm()
    _sites(form)
    if kind == "demand":
        _licence_choices(form)
    if request.method == "GET":
        (fill_supply_form if kind == "supply" else fill_demand_form)(form, listing)
    elif form.validate_on_submit():
        try:
            if kind == "supply":
                services.update_supply(current_user, listing, supply_input(form))
            else:
                services.update_demand(current_user, listing, demand_input(form))
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Listing saved."), "success")
            return redirect(url_for("listings.detail", kind=kind, listing_id=listing.id))
    status = 400 if request.method == "POST" else 200
    return render_template("listings/form.html", form=form, kind=kind, listing=listing), status


def _withdraw_listing_page(kind: str, listing, form: ConfirmForm, status: int = 200):
    bids = bidding.count_active(listing.id) if kind == "supply" else 0
    consequence = _("The listing leaves the trading hall and cannot be published again.")
    if bids:
        consequence += " " + _("Its %(n)d active bids lapse and their bidders are told.", n=bids)
    return render_template(
        "confirm.html",
        heading=_("Withdraw this listing?"),
        summary=[(_("Listing"), listing.title), (_("Status"), status_label(listing.status))],
        consequence=consequence,
        form=form,
        action=url_for(
            "listings.change_status", kind=kind, listing_id=listing.id, action="withdraw"
        ),
        button=_("Withdraw the listing"),
        back=url_for("listings.detail", kind=kind, listing_id=listing.id),
        danger=True,
    ), status


@bp.get("/listings/<kind>/<int:listing_id>/withdraw")
@login_required
def confirm_withdraw(kind: str, listing_id: int):
    listing = _load(kind, listing_id)
    try:
        services.require_owner(current_user, listing)
    except DomainError:
        abort(403)
    return _withdraw_listing_page(kind, listing, ConfirmForm(formdata=None))


@bp.post("/listings/<kind>/<int:listing_id>/<any(publish, withdraw):action>")
@login_required
def change_status(kind: str, listing_id: int, action: str):
    listing = _load(kind, listing_id)
    if action == "withdraw":
        try:
            services.require_owner(current_user, listing)
        except DomainError:
            abort(403)
        form = ConfirmForm()
        if not form.validate_on_submit():
            return _withdraw_listing_page(kind, listing, form, 400)
    getattr(services, action)(current_user, listing)
    db.session.commit()
    flash(_("Listing %(status)s.", status=status_label(listing.status)), "success")
    return redirect(url_for("listings.detail", kind=kind, listing_id=listing.id))


@bp.post("/listings/supply/<int:lot_id>/bids")
@role_required(Role.RECYCLER)
def place_bid(lot_id: int):
    """A refused bid comes back on the lot's page, as typed, with the reason beside its field."""
    lot = _load("supply", lot_id)
    form, status = BidForm(), 400
    if form.validate_on_submit():
        try:
            bidding.place_bid(current_user, lot_id, bid_input(form))
        except DomainError as exc:
            form_error(form, exc)
            status = exc.status
        else:
            db.session.commit()
            flash(_("Your bid is in."), "success")
            return redirect(url_for("listings.detail", kind="supply", listing_id=lot_id))
    db.session.refresh(lot)
    return listing_page("supply", lot, form, status)


def _own_bid(bid_id: int):
    bid = db.session.get(Bid, bid_id)
    if bid is None:
        abort(404)
    if bid.enterprise_id != current_user.enterprise_id:
        abort(403)
    return bid


def _withdraw_bid_page(bid, form: ConfirmForm, status: int = 200):
    return render_template(
        "confirm.html",
        heading=_("Withdraw this bid?"),
        summary=[
            (_("Lot"), bid.listing.title),
            (_("Price"), price_label(bid.price_fen)),
            (_("Quantity"), tonnes_label(bid.quantity_kg)),
        ],
        consequence=_("The lot's owner can no longer accept it; the owner is told."),
        form=form,
        action=url_for("listings.withdraw_bid", bid_id=bid.id),
        button=_("Withdraw the bid"),
        back=url_for("listings.detail", kind="supply", listing_id=bid.supply_listing_id),
        danger=True,
    ), status


@bp.get("/bids/<int:bid_id>/withdraw")
@member_required
def confirm_withdraw_bid(bid_id: int):
    return _withdraw_bid_page(_own_bid(bid_id), ConfirmForm(formdata=None))


@bp.post("/bids/<int:bid_id>/withdraw")
@member_required
def withdraw_bid(bid_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _withdraw_bid_page(_own_bid(bid_id), form, 400)
    bid = bidding.withdraw_bid(current_user, bid_id)
    db.session.commit()
    flash(_("Bid withdrawn."), "info")
    return redirect(url_for("listings.detail", kind="supply", listing_id=bid.supply_listing_id))
