"""Registering enterprises and users, licences, and checking logins."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from market.accounts import uscc
from market.accounts.auth import hash_password, password_matches
from market.accounts.models import Enterprise, Licence, Park, Role, User
from market.accounts.sites import place
from market.catalog.services import resolve_code
from market.errors import Conflict, DomainError
from market.extensions import db
from market.geo import in_china


@dataclass
class EnterpriseInput:
    park_id: int
    name: str
    uscc: str
    roles: list[str]
    address: str
    lat: float | None
    lon: float | None
    contact_name: str
    contact_phone: str
    contact_email: str = ""
    industry: str = ""
    site_id: int | None = None  # one of the park's sites: its address and coordinates


@dataclass
class UserInput:
    email: str
    name: str
    password: str


@dataclass
class LicenceInput:
    number: str
    codes: list[str]
    capacity_kg_per_year: int
    valid_from: date
    valid_until: date
    extra: dict = field(default_factory=dict)


def uscc_message(error: uscc.UsccError) -> str:
    if error.reason == "length":
        return _("A unified social credit code has 18 characters.")
    if error.reason == "characters":
        return _(
            "The code contains characters a unified social credit code cannot have "
            "(letters I, O, Z, S, V; positions 3–8 must be digits)."
        )
    return _("The check character is wrong: this is not a valid unified social credit code.")


def check_in_china(lat: float, lon: float) -> None:
    """Sites of parks, enterprises and listings lie in China (the pure test is in geo)."""
    if not in_china(lat, lon):
        raise DomainError(_("The coordinates are outside China."), field="lat")


def checked_uscc(raw: str) -> str:
    try:
        return uscc.validate(raw)
    except uscc.UsccError as error:
        raise DomainError(uscc_message(error), field="uscc") from None


def register_enterprise(data: EnterpriseInput, first_user: UserInput | None = None) -> Enterprise:
    code = checked_uscc(data.uscc)
    if db.session.execute(db.select(Enterprise.id).filter_by(uscc=code)).first():
        raise Conflict(
            _("An enterprise with this unified social credit code is already registered."),
            field="uscc",
        )
    park = db.session.get(Park, data.park_id)
    if park is None:
        raise DomainError(_("Choose a park."), field="park_id")
    if not set(data.roles) & {r.value for r in Role}:
        raise DomainError(_("Choose at least one role."), field="roles")
    where = place(park, site_id=data.site_id, address=data.address, lat=data.lat, lon=data.lon)
    enterprise = Enterprise(
        park_id=data.park_id,
        name=data.name.strip(),
        uscc=code,
        is_generator=Role.GENERATOR in data.roles,
        is_recycler=Role.RECYCLER in data.roles,
        is_transporter=Role.TRANSPORTER in data.roles,
        address=where.address,
        lat=where.lat,
        lon=where.lon,
        contact_name=data.contact_name.strip(),
        contact_phone=data.contact_phone.strip(),
        contact_email=data.contact_email.strip(),
        industry=data.industry.strip(),
    )
    db.session.add(enterprise)
    db.session.flush()
    if first_user is not None:
        create_user(first_user, enterprise=enterprise).is_enterprise_admin = True
    return enterprise


def create_user(
    data: UserInput, *, enterprise: Enterprise | None = None, admin_park: Park | None = None
) -> User:
    email = data.email.strip().lower()
    if db.session.execute(db.select(User.id).filter_by(email=email)).first():
        raise Conflict(_("This email address is already registered."), field="email")
    if len(data.password) < 8:
        raise DomainError(_("Passwords need at least 8 characters."), field="password")
    user = User(
        email=email,
        name=data.name.strip(),
        password_hash=hash_password(data.password),
        enterprise=enterprise,
        admin_park=admin_park,
    )
    db.session.add(user)
    db.session.flush()
    return user


def add_licence(enterprise: Enterprise, data: LicenceInput) -> Licence:
    if not enterprise.is_recycler:
        raise DomainError(_("Only recyclers and disposers hold licences."))
    if data.valid_until < data.valid_from:
        raise DomainError(_("The end date is before the start date."), field="valid_until")
    number = data.number.strip()
    if db.session.execute(db.select(Licence.id).filter_by(number=number)).first():
        raise Conflict(_("This licence number is already registered."), field="number")
    codes = licence_codes_of(enterprise, data.codes)
    licence = Licence(
        enterprise=enterprise,
        number=number,
        codes=codes,
        capacity_kg_per_year=data.capacity_kg_per_year,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
    )
    db.session.add(licence)
    db.session.flush()
    return licence


def licence_codes_of(enterprise: Enterprise, raw_codes: list[str]) -> list:
    codes = [
        resolve_code(raw, enterprise.park_id) for raw in dict.fromkeys(data for data in raw_codes)
    ]
    if not codes:
        raise DomainError(_("A licence covers at least one waste code."), field="codes")
    return codes


def authenticate(email: str, password: str) -> User | None:
    user = db.session.execute(
        db.select(User).filter_by(email=(email or "").strip().lower())
    ).scalar_one_or_none()
    if not password_matches(user, password or "") or not user.active:
        return None
    return user


def create_park(
    *, slug: str, name: str, region_code: str, lat: float, lon: float, is_demo: bool = False
) -> Park:
    if db.session.execute(
        db.select(Park.id).where((Park.slug == slug) | (Park.name == name))
    ).first():
        raise Conflict(_("A park with this name already exists."), field="name")
    check_in_china(lat, lon)
    park = Park(slug=slug, name=name, region_code=region_code, lat=lat, lon=lon, is_demo=is_demo)
    db.session.add(park)
    db.session.flush()
    return park
