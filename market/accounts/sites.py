"""A park's named sites (kept by its administrators) and how a chosen site or a typed
address becomes a place with coordinates, so nobody has to type latitude and longitude."""

import math
from dataclasses import dataclass

from flask_babel import gettext as _

from market.accounts.models import Park, ParkSite, User
from market.errors import Conflict, DomainError, NotFound
from market.extensions import db
from market.geo import in_china


@dataclass(frozen=True)
class Place:
    address: str
    lat: float
    lon: float


@dataclass
class SiteInput:
    name: str
    address: str
    lat: float | None = None
    lon: float | None = None


def sites_of(park_id: int) -> list[ParkSite]:
    return list(
        db.session.scalars(
            db.select(ParkSite).filter_by(park_id=park_id).order_by(ParkSite.name, ParkSite.id)
        )
    )


def site_in_park(park_id: int, site_id: int) -> ParkSite:
    """:raises DomainError: the site is not one of this park's."""
    site = db.session.get(ParkSite, site_id)
    if site is None or site.park_id != park_id:
        raise DomainError(_("Choose one of the park's sites."), field="site_id")
    return site


def coordinates(lat, lon) -> tuple[float, float] | None:
    """Both coordinates, checked to lie in China; None when neither is given.

    :raises DomainError: only one given, not a number, or outside China.
    """
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        raise DomainError(_("Give both latitude and longitude, or neither."), field="lat")
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise DomainError(_("The coordinates are outside China."), field="lat") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and in_china(lat, lon)):
        raise DomainError(_("The coordinates are outside China."), field="lat")
    return lat, lon


def place(
    park: Park,
    *,
    site_id: int | None = None,
    address: str = "",
    lat=None,
    lon=None,
    home: Place | None = None,
) -> Place:
    """Where something is, in this order: a chosen site of the park (its coordinates; its
    address unless one is typed); typed coordinates; `home` (the enterprise's own site)
    when no other address is typed; the park's known location for a typed address.

    :raises DomainError: a site of another park, bad coordinates, or nothing to go on.
    """
    address = (address or "").strip()
    if site_id:
        site = site_in_park(park.id, site_id)
        return Place(address or site.address, site.lat, site.lon)
    given = coordinates(lat, lon)
    if given is not None:
        address = address or (home.address if home else "")
        if not address:
            _no_address()
        return Place(address, *given)
    if home is not None and address in ("", home.address):
        return home
    if address:
        return Place(address, park.lat, park.lon)
    return _no_address()


def _no_address() -> None:
    raise DomainError(_("Choose one of the park's sites or type the address."), field="address")


def _admin_site(admin: User, site_id: int) -> ParkSite:
    site = db.session.get(ParkSite, site_id)
    if site is None or site.park_id != admin.admin_park_id:
        raise NotFound(_("No such site."))
    return site


def _apply(site: ParkSite, park: Park, data: SiteInput) -> None:
    name, address = (data.name or "").strip(), (data.address or "").strip()
    if not name:
        raise DomainError(_("Give the site a name."), field="name")
    if not address:
        raise DomainError(_("Give the site's address."), field="address")
    clash = db.session.scalar(
        db.select(ParkSite.id).where(
            ParkSite.park_id == park.id, ParkSite.name == name, ParkSite.id != (site.id or 0)
        )
    )
    if clash:
        raise Conflict(_("The park already has a site of this name."), field="name")
    given = coordinates(data.lat, data.lon) or (park.lat, park.lon)
    site.name, site.address = name[:80], address[:200]
    site.lat, site.lon = given


def create_site(admin: User, data: SiteInput) -> ParkSite:
    """A new site of the administrator's park; without coordinates, the park's location."""
    park = db.session.get(Park, admin.admin_park_id)
    site = ParkSite(park_id=park.id)
    with db.session.no_autoflush:
        _apply(site, park, data)
    db.session.add(site)
    db.session.flush()
    return site


def update_site(admin: User, site_id: int, data: SiteInput) -> ParkSite:
    site = _admin_site(admin, site_id)
    with db.session.no_autoflush:
        _apply(site, site.park, data)
    db.session.flush()
    return site


def delete_site(admin: User, site_id: int) -> None:
    """Listings and enterprises keep the address and coordinates they copied."""
    db.session.delete(_admin_site(admin, site_id))
    db.session.flush()


def admin_site(admin: User, site_id: int) -> ParkSite:
    return _admin_site(admin, site_id)
