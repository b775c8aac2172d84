"""Reads: who may see a listing, and the filtered, paginated browse."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy.orm import selectinload

from market.accounts.models import Enterprise, User
from market.catalog.models import WasteCode
from market.db import yuan_to_fen
from market.extensions import db
from market.geo import haversine_km
from market.listings.models import DemandListing, SupplyListing
from market.listings.states import ListingStatus

SORTS = ("newest", "distance", "price", "quantity")


@dataclass
class BrowseFilter:
    kind: str = "supply"
    code: str = ""  # an exact code, or a category such as HW08 / ISW-17 / SW17
    hazardous: str = ""  # "", "yes", "no"
    within_km: int | None = None
    min_t: Decimal | None = None
    max_t: Decimal | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    park_id: int | None = None
    mine: bool = False
    sort: str = "newest"
    page: int = 1


def can_view(user: User, listing) -> bool:
    """Open (and settled) listings are for every signed-in user; drafts only for the owner."""
    if listing.status != ListingStatus.DRAFT and listing.status != ListingStatus.WITHDRAWN:
        return True
    if user.enterprise_id is not None and user.enterprise_id == listing.enterprise_id:
        return True
    return user.is_park_admin and listing.enterprise.park_id == user.admin_park_id


def _code_condition(model, code: str):
    code = code.strip().upper()
    match = (func.upper(WasteCode.code) == code) | (func.upper(WasteCode.category_code) == code)
    match = match | (func.upper(WasteCode.subcategory_code) == code)
    if model is SupplyListing:
        return SupplyListing.waste_code.has(match)
    return DemandListing.codes.any(match)


def _hazard_condition(model, hazardous: bool):
    if model is SupplyListing:
        return SupplyListing.waste_code.has(WasteCode.is_hazardous.is_(hazardous))
    if hazardous:
        return DemandListing.codes.any(WasteCode.is_hazardous.is_(True))
    return ~DemandListing.codes.any(WasteCode.is_hazardous.is_(True))


def distance_expr(model, lat: float, lon: float):
    return func.haversine_km(lat, lon, model.lat, model.lon)


class ListPage:
    """A page of an already ordered list, shaped like Flask-SQLAlchemy's pagination."""

    def __init__(self, items: list, page: int, per_page: int):
        self.total, self.page = len(items), page
        self.pages = max(1, -(-self.total // per_page))
        self.items = items[(page - 1) * per_page : page * per_page]
        self.has_prev, self.prev_num = page > 1, page - 1
        self.has_next, self.next_num = page < self.pages, page + 1


def browse(user: User, f: BrowseFilter, per_page: int = 20, match_scores: dict | None = None):
    """Filtered listings; with match_scores (supply id → best score) ordered by match."""
    model = SupplyListing if f.kind == "supply" else DemandListing
    qty = model.quantity_kg if model is SupplyListing else model.remaining_capacity_kg
    price = model.asking_price_fen if model is SupplyListing else model.price_offered_fen
    stmt = db.select(model).join(Enterprise, model.enterprise_id == Enterprise.id)
    if f.mine and user.enterprise_id is not None:
        stmt = stmt.where(model.enterprise_id == user.enterprise_id)
    else:
        stmt = stmt.where(model.status == ListingStatus.OPEN, model.available_until >= date.today())
    if f.code:
        stmt = stmt.where(_code_condition(model, f.code))
    if f.hazardous in ("yes", "no"):
        stmt = stmt.where(_hazard_condition(model, f.hazardous == "yes"))
    if f.park_id:
        stmt = stmt.where(Enterprise.park_id == f.park_id)
    stmt = _ranges(stmt, qty, price, f)
    origin = user.enterprise or None
    distance = distance_expr(model, origin.lat, origin.lon) if origin else None
    if distance is not None and f.within_km:
        stmt = stmt.where(distance <= f.within_km)
    stmt = stmt.options(*_loads(model))
    if match_scores is not None:
        rows = db.session.execute(stmt.where(model.id.in_(list(match_scores)))).scalars().all()
        rows.sort(key=lambda r: (-match_scores[r.id], r.id))
        return ListPage(rows, max(1, f.page), per_page)
    stmt = stmt.order_by(*_order(model, f.sort, distance, qty, price))
    return db.paginate(stmt, page=max(1, f.page), per_page=per_page, error_out=False, count=True)


def _ranges(stmt, qty, price, f: BrowseFilter):
    if f.min_t is not None:
        stmt = stmt.where(qty >= int(f.min_t * 1000))
    if f.max_t is not None:
        stmt = stmt.where(qty <= int(f.max_t * 1000))
    if f.min_price is not None:
        stmt = stmt.where(price >= yuan_to_fen(f.min_price))
    if f.max_price is not None:
        stmt = stmt.where(price <= yuan_to_fen(f.max_price))
    return stmt


def _order(model, sort: str, distance, qty, price):
    if sort == "distance" and distance is not None:
        return (distance.asc(), model.id.desc())
    if sort == "price":
        return (price.desc(), model.id.desc())
    if sort == "quantity":
        return (qty.desc(), model.id.desc())
    return (model.created_at.desc(), model.id.desc())


def _loads(model):
    common = [selectinload(model.enterprise).selectinload(Enterprise.park)]
    if model is SupplyListing:
        return [*common, selectinload(SupplyListing.waste_code)]
    return [*common, selectinload(DemandListing.codes)]


def distance_from(user: User, listing) -> float | None:
    """Great-circle km from the user's own site, for display."""
    if user.enterprise is None:
        return None
    return haversine_km(user.enterprise.lat, user.enterprise.lon, listing.lat, listing.lon)
