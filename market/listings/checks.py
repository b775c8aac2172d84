"""Checks on what a user types into a listing or a bid: numbers, prices, text, dates,
sites, and who may post or change it."""

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from market import clock
from market.accounts.models import Role, User
from market.accounts.sites import Place, place
from market.db import yuan_to_fen
from market.errors import DomainError, Forbidden
from market.listings.models import MAX_KG, MAX_PRICE_FEN

UNITS = ("t", "m3", "piece")
TITLE_MAX = 120


def finite_decimal(value, field_name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a number."), field=field_name) from None
    if not number.is_finite():
        raise DomainError(_("Enter a finite number."), field=field_name)
    return number


def quantity_kg(quantity: Decimal, unit: str, kg_per_unit: int | None) -> tuple[int, int]:
    if unit not in UNITS:
        raise DomainError(_("Unknown unit."), field="unit")
    if unit == "t":
        kg_per_unit = 1000
    if not kg_per_unit or kg_per_unit <= 0 or kg_per_unit > 10**7:
        raise DomainError(
            _("Give the weight of one unit in kilograms (1 to 10,000,000)."), field="kg_per_unit"
        )
    quantity = finite_decimal(quantity, "quantity")
    if quantity <= 0:
        raise DomainError(_("The quantity must be more than zero."), field="quantity")
    kg = int((quantity * kg_per_unit).to_integral_value())
    if kg < 1:
        raise DomainError(_("The quantity must be at least one kilogram."), field="quantity")
    if kg > MAX_KG:
        raise DomainError(
            _("The quantity is implausibly large (over 10 million tonnes)."), field="quantity"
        )
    return kg, kg_per_unit


def price_fen(yuan, field_name: str) -> int:
    fen = yuan_to_fen(finite_decimal(yuan, field_name))
    if abs(fen) > MAX_PRICE_FEN:
        raise DomainError(
            _("The price is outside the plausible range (±10 million yuan per tonne)."),
            field=field_name,
        )
    return fen


def check_text(title: str, field_name: str = "title") -> str:
    title = (title or "").strip()
    if not title:
        raise DomainError(_("This field is required."), field=field_name)
    if len(title) > TITLE_MAX:
        raise DomainError(_("At most %(n)d characters.", n=TITLE_MAX), field=field_name)
    return title


def check_dates(start: date, end: date) -> None:
    if start is None or end is None:
        raise DomainError(_("Give both dates."), field="available_from")
    if end < start:
        raise DomainError(_("The end date is before the start date."), field="available_until")


def site(user: User, address: str, lat, lon, site_id: int | None = None) -> tuple:
    """A chosen park site, typed coordinates, the enterprise's own site, or the park's
    location for another typed address (market.accounts.sites.place)."""
    enterprise = user.enterprise
    home = Place(enterprise.address, enterprise.lat, enterprise.lon)
    where = place(enterprise.park, site_id=site_id, address=address, lat=lat, lon=lon, home=home)
    return where.address, where.lat, where.lon


def require_not_suspended(user: User) -> None:
    """A suspended enterprise may not post, publish, change listings or bid."""
    if user.enterprise is not None and user.enterprise.is_suspended:
        raise Forbidden(
            _(
                "Your enterprise is suspended by the park administrator: %(reason)s",
                reason=user.enterprise.suspension_reason,
            )
        )


def require_role(user: User, role: Role) -> None:
    require_not_suspended(user)
    if user.enterprise is None or not user.enterprise.has_role(role):
        if role == Role.GENERATOR:
            raise Forbidden(_("Only waste generators post supply listings."))
        raise Forbidden(_("Only recyclers and disposers post demand listings."))


def require_bidder_not_grade_d(user: User) -> None:
    """Grade D (不良) is excluded from bidding, as from ranking, while it is in force."""
    if user.enterprise is not None and user.enterprise.grade_on(clock.today()) == "D":
        raise Forbidden(
            _(
                "Your enterprise's credit grade is D (poor): it may not bid until a better "
                "grade is published."
            )
        )


def require_owner(user: User, listing) -> None:
    if user.enterprise_id is None or listing.enterprise_id != user.enterprise_id:
        raise Forbidden(_("Only the enterprise that posted this listing may change it."))
