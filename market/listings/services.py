"""Rules for creating, editing, publishing, withdrawing and expiring listings."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from flask_babel import gettext as _

from market import clock
from market.accounts.models import Licence, Role, User
from market.accounts.states import LicenceStatus
from market.catalog.services import resolve_code
from market.db import utcnow
from market.errors import Conflict, DomainError
from market.extensions import db
from market.listings.bidding import has_active_bids, lapse_bids
from market.listings.checks import (
    check_dates,
    check_text,
    finite_decimal,
    price_fen,
    quantity_kg,
    require_not_suspended,
    require_owner,
    require_role,
    site,
)
from market.listings.lifecycle import lifecycle_of, status_label, transition
from market.listings.models import MAX_KG, PHYSICAL_FORMS, DemandListing, SupplyListing
from market.listings.states import EDITABLE, ListingEvent, ListingStatus
from market.matching import service as matching
from market.outreach import services as outreach

EXPIRABLE = (ListingStatus.OPEN, ListingStatus.BIDS_CLOSED)
COMPONENTS_MAX = 200


@dataclass
class SupplyInput:
    waste_code: str
    title: str
    local_name: str
    quantity: Decimal
    available_from: date
    available_until: date
    unit: str = "t"
    kg_per_unit: int | None = None
    description: str = ""
    recurrence: str = "once"
    packaging: str = ""
    physical_form: str = ""
    main_components: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    site_id: int | None = None
    asking_price_yuan: Decimal = Decimal(0)
    bidding_mode: str = "open"
    bid_deadline: datetime | None = None


@dataclass
class DemandInput:
    waste_codes: list[str]
    title: str
    remaining_capacity_t: Decimal
    service_radius_km: int
    available_from: date
    available_until: date
    licence_id: int | None = None
    price_offered_yuan: Decimal = Decimal(0)
    description: str = ""
    quality_requirements: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    site_id: int | None = None
    extra: dict = field(default_factory=dict)


def _apply_supply(listing: SupplyListing, user: User, data: SupplyInput) -> None:
    code = resolve_code(data.waste_code, user.enterprise.park_id)
    kg, kg_per_unit = quantity_kg(data.quantity, data.unit, data.kg_per_unit)
    check_dates(data.available_from, data.available_until)
    if data.recurrence not in ("once", "weekly", "monthly"):
        raise DomainError(_("Unknown recurrence."), field="recurrence")
    if data.bidding_mode not in ("open", "sealed"):
        raise DomainError(_("Unknown bidding mode."), field="bidding_mode")
    if data.bidding_mode == "sealed" and data.bid_deadline is None:
        raise DomainError(
            _("Sealed bidding needs a deadline: bids open then."), field="bid_deadline"
        )
    deadline = _check_deadline(data.bid_deadline, data.available_until)
    address, lat, lon = site(user, data.address, data.lat, data.lon, data.site_id)
    form, components = _physical(data.physical_form, data.main_components)
    listing.waste_code, listing.edition_id = code, code.edition_id
    listing.title = check_text(data.title)
    listing.local_name = check_text(data.local_name or data.title, "local_name")[:80]
    listing.description = (data.description or "").strip()
    listing.unit, listing.kg_per_unit, listing.quantity_kg = data.unit, kg_per_unit, kg
    listing.quantity = finite_decimal(data.quantity, "quantity").quantize(Decimal("0.001"))
    listing.recurrence, listing.packaging = data.recurrence, (data.packaging or "").strip()[:80]
    listing.physical_form, listing.main_components = form, components
    listing.address, listing.lat, listing.lon = address, lat, lon
    listing.available_from, listing.available_until = data.available_from, data.available_until
    listing.asking_price_fen = price_fen(data.asking_price_yuan, "asking_price_yuan")
    listing.bidding_mode, listing.bid_deadline = data.bidding_mode, deadline


def _physical(form: str | None, components: str | None) -> tuple[str, str]:
    form, components = (form or "").strip(), (components or "").strip()
    if form and form not in PHYSICAL_FORMS:
        raise DomainError(_("Unknown physical form."), field="physical_form")
    if len(components) > COMPONENTS_MAX:
        raise DomainError(_("At most %(n)d characters.", n=COMPONENTS_MAX), field="main_components")
    return form, components


def _check_deadline(deadline: datetime | None, until: date) -> datetime | None:
    if deadline is None:
        return None
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=UTC)
    if deadline.date() > until:
        raise DomainError(
            _("The bidding deadline is after the listing's end date."), field="bid_deadline"
        )
    return deadline


def create_supply(user: User, data: SupplyInput) -> SupplyListing:
    require_role(user, Role.GENERATOR)
    listing = SupplyListing(
        enterprise_id=user.enterprise_id, created_by=user, status=ListingStatus.DRAFT
    )
    with db.session.no_autoflush:
        _apply_supply(listing, user, data)
    db.session.add(listing)
    db.session.flush()
    lifecycle_of(listing).log(listing, ListingEvent.CREATE, None, ListingStatus.DRAFT, user)
    return listing


def update_supply(user: User, listing: SupplyListing, data: SupplyInput) -> SupplyListing:
    require_owner(user, listing)
    require_not_suspended(user)
    _require_editable(listing)
    if has_active_bids(listing.id):
        raise Conflict(
            _(
                "The lot has active bids; it can no longer be edited. Withdraw it "
                "and post a new one if it has changed."
            )
        )
    with db.session.no_autoflush:
        _apply_supply(listing, user, data)
    db.session.flush()
    matching.mark_dirty()
    if listing.status == ListingStatus.OPEN:  # a changed open lot may match others now
        outreach.tell_matches(listing)
    return listing


def _resolve_licence(user: User, licence_id: int | None) -> Licence | None:
    if licence_id is None:
        return None
    licence = db.session.get(Licence, licence_id)
    if licence is None or licence.enterprise_id != user.enterprise_id:
        raise DomainError(_("Choose one of your own licences."), field="licence_id")
    if licence.status == LicenceStatus.REJECTED:
        raise DomainError(
            _("The park administrator rejected this licence; re-submit it first."),
            field="licence_id",
        )
    return licence


def _apply_demand(listing: DemandListing, user: User, data: DemandInput) -> None:
    park_id = user.enterprise.park_id
    codes = [resolve_code(raw, park_id) for raw in dict.fromkeys(c for c in data.waste_codes if c)]
    if not codes:
        raise DomainError(_("Choose at least one waste code."), field="waste_codes")
    licence = _resolve_licence(user, data.licence_id)
    check_dates(data.available_from, data.available_until)
    _check_hazardous_licence(codes, licence, data.available_from)
    capacity = finite_decimal(data.remaining_capacity_t, "remaining_capacity_t")
    kg = int((capacity * 1000).to_integral_value())
    if kg <= 0 or kg > MAX_KG:
        raise DomainError(
            _("The capacity must be more than zero and at most 10 million tonnes."),
            field="remaining_capacity_t",
        )
    if licence is not None and kg > licence.capacity_kg_per_year:
        raise DomainError(
            _("The capacity is more than the licence allows per year."),
            field="remaining_capacity_t",
        )
    radius = int(data.service_radius_km or 0)
    if not 1 <= radius <= 3000:
        raise DomainError(
            _("The service radius must be between 1 and 3,000 km."), field="service_radius_km"
        )
    address, lat, lon = site(user, data.address, data.lat, data.lon, data.site_id)
    listing.codes, listing.licence = codes, licence
    listing.title = check_text(data.title)
    listing.description = (data.description or "").strip()
    listing.quality_requirements = (data.quality_requirements or "").strip()
    listing.remaining_capacity_kg, listing.service_radius_km = kg, radius
    listing.price_offered_fen = price_fen(data.price_offered_yuan, "price_offered_yuan")
    listing.address, listing.lat, listing.lon = address, lat, lon
    listing.available_from, listing.available_until = data.available_from, data.available_until


def _check_hazardous_licence(codes, licence: Licence | None, day: date) -> None:
    hazardous = [c for c in codes if c.is_hazardous]
    if not hazardous:
        return
    if licence is None:
        raise DomainError(_("Hazardous codes need a licence that covers them."), field="licence_id")
    covered = {c.id for c in licence.codes}
    missing = [c.code for c in hazardous if c.id not in covered]
    if missing:
        raise DomainError(
            _("The licence does not cover %(codes)s.", codes=", ".join(missing)),
            field="waste_codes",
        )
    if not licence.is_valid_on(day):
        raise DomainError(_("The licence is not valid on the start date."), field="licence_id")


def create_demand(user: User, data: DemandInput) -> DemandListing:
    require_role(user, Role.RECYCLER)
    listing = DemandListing(
        enterprise_id=user.enterprise_id, created_by=user, status=ListingStatus.DRAFT
    )
    with db.session.no_autoflush:
        _apply_demand(listing, user, data)
    db.session.add(listing)
    db.session.flush()
    lifecycle_of(listing).log(listing, ListingEvent.CREATE, None, ListingStatus.DRAFT, user)
    return listing


def update_demand(user: User, listing: DemandListing, data: DemandInput) -> DemandListing:
    require_owner(user, listing)
    require_not_suspended(user)
    _require_editable(listing)
    with db.session.no_autoflush:
        _apply_demand(listing, user, data)
    db.session.flush()
    matching.mark_dirty()
    return listing


def _require_editable(listing) -> None:
    if listing.status not in EDITABLE:
        raise Conflict(
            _(
                "A listing that is %(status)s can no longer be edited.",
                status=status_label(listing.status),
            )
        )


def publish(user: User, listing, today: date | None = None) -> None:
    require_owner(user, listing)
    require_not_suspended(user)
    today = today or clock.today()
    if listing.available_until < today:
        raise Conflict(_("The end date has passed; change it before publishing."))
    if getattr(listing, "bid_deadline", None) and listing.bid_deadline <= utcnow():
        raise Conflict(_("The bidding deadline has passed; change it before publishing."))
    transition(listing, ListingEvent.PUBLISH, user)
    if isinstance(listing, SupplyListing):
        outreach.tell_matches(listing, today)
    else:  # the owners of lots it matches well may invite the recycler to bid
        outreach.tell_lot_owners(listing, today)


def withdraw(user: User, listing) -> None:
    require_owner(user, listing)
    transition(listing, ListingEvent.WITHDRAW, user)
    _lapse(listing)


def _lapse(listing) -> None:
    if isinstance(listing, SupplyListing):
        lapse_bids(listing)


def expire_due(today: date | None = None) -> int:
    """Expire open listings whose end date has passed; returns how many."""
    today = today or clock.today()
    count = 0
    for model in (SupplyListing, DemandListing):
        due = (
            db.session.execute(
                db.select(model).where(model.status.in_(EXPIRABLE), model.available_until < today)
            )
            .scalars()
            .all()
        )
        for listing in due:
            try:
                transition(listing, ListingEvent.EXPIRE, None, note="end date passed")
                _lapse(listing)
                count += 1
            except Conflict:
                continue  # changed meanwhile by its owner: their change stands
    return count


def expire_if_due(listing, today: date | None = None) -> None:
    """The check on access: an open listing past its end date expires when looked at."""
    today = today or clock.today()
    if listing.status in EXPIRABLE and listing.available_until < today:
        try:
            transition(listing, ListingEvent.EXPIRE, None, note="end date passed")
            _lapse(listing)
        except Conflict:
            db.session.refresh(listing)
