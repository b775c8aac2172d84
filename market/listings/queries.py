"""Reads: who may see a listing, the filtered, paginated browse, and what each viewer may
see of a lot's bids."""

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.orm import joinedload, selectinload

from market import clock
from market.accounts.models import Enterprise, User
from market.accounts.states import EnterpriseStatus
from market.catalog.models import WasteCode
from market.catalog.normalise import CODE_LIKE, normalise
from market.catalog.services import search_codes
from market.credit.models import grade_only
from market.db import utcnow, yuan_to_fen
from market.extensions import db
from market.geo import haversine_km
from market.listings import hall_cache
from market.listings.bidding import is_sealed, refusals
from market.listings.models import Bid, DemandListing, SupplyListing
from market.listings.states import BidStatus, ListingStatus
from market.matching import service as matching

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
    """Open (and settled) listings are for every signed-in user; drafts, and every listing
    of a suspended enterprise, only for the owner and the park's administrators."""
    hidden = listing.status in (ListingStatus.DRAFT, ListingStatus.WITHDRAWN)
    if not hidden and not listing.enterprise.is_suspended:
        return True
    if user.enterprise_id is not None and user.enterprise_id == listing.enterprise_id:
        return True
    return user.is_park_admin and listing.enterprise.park_id == user.admin_park_id


def _code_condition(model, code: str, park_id: int | None):
    """A code or category as typed, or a name the plant uses, read as the catalogue
    search reads it (废机油 → the HW08 codes it names)."""
    key = code.strip().split(" ")[0].upper()
    match = (func.upper(WasteCode.code) == key) | (func.upper(WasteCode.category_code) == key)
    match = match | (func.upper(WasteCode.subcategory_code) == key)
    named = named_codes(code, park_id)
    if named:
        match = match | WasteCode.id.in_(named)
    if model is SupplyListing:
        return SupplyListing.waste_code.has(match)
    return DemandListing.codes.any(match)


NAME_BAND = 0.9  # a name stands for every code scoring within this share of the best


def named_codes(text: str, park_id: int | None) -> list[int]:
    """The codes a plain name stands for: the catalogue search's best hits."""
    if CODE_LIKE.match(normalise(text)):
        return []
    hits = [hit for _, hit in search_codes(text, park_id, limit=10)]
    if not hits:
        return []
    top = max(hit.score for hit in hits)
    return [hit.id for hit in hits if hit.score >= top * NAME_BAND]


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

    @classmethod
    def of_page(cls, items: list, page: int, per_page: int, total: int) -> "ListPage":
        """One page already cut from a list of `total` items."""
        made = cls([], page, per_page)
        made.items, made.total = items, total
        made.pages = max(1, -(-total // per_page))
        made.has_next = page < made.pages
        return made


def browse(
    user: User | None, f: BrowseFilter, per_page: int = 20, match_scores: dict | None = None
):
    """Filtered listings; with match_scores (supply id → best score) ordered by match.
    `user` None is an anonymous visitor: no "mine", no distance."""
    model = SupplyListing if f.kind == "supply" else DemandListing
    enterprise = user.enterprise if user is not None else None
    mine = f.mine and enterprise is not None
    if match_scores is None and not mine and hall_cache.enabled():
        return _cached_page(model, enterprise, f, per_page)
    stmt, distance = _within(_filtered(model, enterprise, f, mine), model, enterprise, f)
    if match_scores is not None:
        stmt = stmt.options(*_loads(model)).where(model.id.in_(list(match_scores)))
        rows = db.session.execute(stmt).scalars().all()
        rows.sort(key=lambda r: (-match_scores[r.id], r.id))
        return ListPage(rows, max(1, f.page), per_page)
    order = _order(model, f.sort, distance, *_qty_price(model))
    return _page_by_ids(model, stmt, order, max(1, f.page), per_page)


def _within(stmt, model, enterprise: Enterprise | None, f: BrowseFilter):
    """The statement limited to the filter's distance from the viewer's site, and that
    distance as SQL (None for an anonymous visitor)."""
    distance = distance_expr(model, enterprise.lat, enterprise.lon) if enterprise else None
    if distance is not None and f.within_km:
        stmt = stmt.where(distance <= f.within_km)
    return stmt, distance


def _qty_price(model):
    if model is SupplyListing:
        return SupplyListing.quantity_kg, SupplyListing.asking_price_fen
    return DemandListing.remaining_capacity_kg, DemandListing.price_offered_fen


def _filtered(model, enterprise: Enterprise | None, f: BrowseFilter, mine: bool):
    """The filter's listings, without the distance limit (it needs the viewer's site)."""
    stmt = db.select(model).join(Enterprise, model.enterprise_id == Enterprise.id)
    if mine:
        stmt = stmt.where(model.enterprise_id == enterprise.id)
    else:
        stmt = stmt.where(
            model.status == ListingStatus.OPEN,
            model.available_until >= clock.today(),
            Enterprise.status == EnterpriseStatus.ACTIVE,
        )
    if f.code:
        park_id = enterprise.park_id if enterprise else None
        stmt = stmt.where(_code_condition(model, f.code, park_id))
    if f.hazardous in ("yes", "no"):
        stmt = stmt.where(_hazard_condition(model, f.hazardous == "yes"))
    if f.park_id:
        stmt = stmt.where(Enterprise.park_id == f.park_id)
    return _ranges(stmt, *_qty_price(model), f)


def _count_and_ids(model, stmt, order, page: int, per_page: int) -> tuple[int, list[int]]:
    ids_stmt = stmt.with_only_columns(model.id)
    total = db.session.scalar(db.select(func.count()).select_from(ids_stmt.subquery()))
    ids = db.session.scalars(
        ids_stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return total, list(ids)


def _page_by_ids(model, stmt, order, page: int, per_page: int) -> "ListPage":
    """The count and the page's ids first, then only those rows. At a million listings,
    ordering every open listing with all its columns (to keep 20) was most of the hall's
    time; the ids alone come from the open listings' index (migration 0017), which carries
    what the filters and the distance read (docs/benchmarks.md, "Load test")."""
    total, ids = _count_and_ids(model, stmt, order, page, per_page)
    return ListPage.of_page(_rows_of(model, ids), page, per_page, total)


def _rows_of(model, ids: list[int]) -> list:
    if not ids:
        return []
    loaded = db.select(model).where(model.id.in_(ids)).options(*_loads(model))
    rows = {row.id: row for row in db.session.scalars(loaded)}
    return [rows[i] for i in ids if i in rows]


def _cached_page(model, enterprise: Enterprise | None, f: BrowseFilter, per_page: int):
    """The hall through market.listings.hall_cache: the ids (and count) the filter gives
    everyone come from the cache; the rows are read fresh, and a listing that stopped
    being open since is left out (its count catches up within HALL_CACHE_SECONDS)."""
    page = max(1, f.page)
    nearest = f.sort == "distance" and enterprise is not None
    parts = _cache_key(f, enterprise, per_page, nearest)
    if nearest:  # the order is the viewer's own: cache the places, order them here
        raw = hall_cache.fetch(parts, lambda: _places(model, enterprise, f))
        total, ids = hall_cache.nearest(
            hall_cache.unpack_places(raw),
            enterprise.lat,
            enterprise.lon,
            f.within_km,
            page,
            per_page,
        )
    else:
        raw = hall_cache.fetch((*parts, page), lambda: _ids(model, enterprise, f, page, per_page))
        total, ids = hall_cache.unpack_ids(raw)
    today = clock.today()
    rows = [
        row
        for row in _rows_of(model, ids)
        if row.status == ListingStatus.OPEN
        and row.available_until >= today
        and row.enterprise.status == EnterpriseStatus.ACTIVE
    ]
    return ListPage.of_page(rows, page, per_page, total)


def _cache_key(f: BrowseFilter, enterprise, per_page: int, nearest: bool) -> tuple:
    """Everything the filter's SQL reads: the code's meaning depends on the viewer's park
    (the names a park uses), a distance limit or order on the viewer's site."""
    park = enterprise.park_id if enterprise is not None and f.code else None
    site = (enterprise.lat, enterprise.lon) if enterprise and f.within_km and not nearest else None
    sort = "distance" if nearest else (f.sort if f.sort != "distance" else "newest")
    filters = (f.kind, (f.code or "").strip(), park, f.hazardous, f.park_id, f.min_t, f.max_t)
    described = repr((*filters, f.min_price, f.max_price, f.within_km if site else None, site))
    digest = hashlib.sha1(described.encode()).hexdigest()
    return (f.kind, sort, clock.today().isoformat(), digest, per_page)


def _places(model, enterprise, f: BrowseFilter) -> bytes:
    stmt = _filtered(model, enterprise, f, mine=False)
    return hall_cache.pack_places(
        db.session.execute(stmt.with_only_columns(model.id, model.lat, model.lon)).all()
    )


def _ids(model, enterprise, f: BrowseFilter, page: int, per_page: int) -> bytes:
    stmt, _distance = _within(_filtered(model, enterprise, f, mine=False), model, enterprise, f)
    order = _order(model, f.sort, None, *_qty_price(model))
    return hall_cache.pack_ids(*_count_and_ids(model, stmt, order, page, per_page))


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


def page_loads(model):
    """A listing's own page: what the hall card shows, and a lot's code edition."""
    if model is SupplyListing:
        return [*_loads(model), joinedload(SupplyListing.edition)]
    return _loads(model)


def _loads(model):
    # what a hall card shows, in the page's one query: the enterprise, its park and its
    # evaluation in force (the grade badge), the lot's code (many-to-one: joined); a
    # demand's codes come in a second
    common = [
        joinedload(model.enterprise).options(
            joinedload(Enterprise.park),
            joinedload(Enterprise.evaluation_in_force).options(*grade_only()),
        )
    ]
    if model is SupplyListing:
        return [*common, joinedload(SupplyListing.waste_code)]
    return [*common, selectinload(DemandListing.codes)]


def distance_from(user: User, listing) -> float | None:
    """Great-circle km from the user's own site, for display."""
    if user.enterprise is None:
        return None
    return haversine_km(user.enterprise.lat, user.enterprise.lon, listing.lat, listing.lon)


@dataclass
class BidView:
    """What the lot page shows about bids, decided by who is looking."""

    count: int  # active bids: all that anyone but the bidders learns of a sealed lot
    best_fen: int | None  # open mode only
    sealed: bool  # sealed and the deadline has not passed
    sealed_until: object | None  # sealed and still before the deadline
    all_bids: list  # the lot owner's view, when not sealed
    mine: list  # the viewer's own bids
    can_bid: bool
    eligibility: str  # why the viewer may not bid, or ""
    eligible_demand: object | None
    can_accept: bool


def bids_of(lot_id: int, enterprise_id: int | None = None) -> list[Bid]:
    stmt = (
        db.select(Bid)
        .where(Bid.supply_listing_id == lot_id)
        .options(
            selectinload(Bid.enterprise)
            .selectinload(Enterprise.evaluation_in_force)
            .options(*grade_only()),
            selectinload(Bid.demand),
        )
        .order_by(Bid.price_fen.desc(), Bid.id)
    )
    if enterprise_id is not None:
        stmt = stmt.where(Bid.enterprise_id == enterprise_id)
    return db.session.execute(stmt).scalars().all()


def bid_view(lot: SupplyListing, user: User) -> BidView:
    owner = user.enterprise_id == lot.enterprise_id
    sealed = is_sealed(lot)
    every = bids_of(lot.id)  # one query; each viewer's share is taken from it
    active = [b for b in every if b.status == BidStatus.ACTIVE]
    can_bid, why, demand = _eligibility(lot, user)
    return BidView(
        count=len(active),
        best_fen=max((b.price_fen for b in active), default=None)
        if lot.bidding_mode == "open"
        else None,
        sealed=sealed,
        sealed_until=lot.bid_deadline if sealed else None,
        all_bids=every if owner and not sealed else [],
        mine=[b for b in every if b.enterprise_id == user.enterprise_id] if not owner else [],
        can_bid=can_bid,
        eligibility=why,
        eligible_demand=demand,
        can_accept=owner
        and lot.status in (ListingStatus.OPEN, ListingStatus.BIDS_CLOSED)
        and not sealed,
    )


def _eligibility(lot: SupplyListing, user: User) -> tuple[bool, str, object | None]:
    if lot.status != ListingStatus.OPEN or user.enterprise_id == lot.enterprise_id:
        return False, "", None
    if user.enterprise is None or not user.enterprise.is_recycler:
        return False, "", None
    if lot.bid_deadline is not None and lot.bid_deadline <= utcnow():
        return False, _("Bidding has closed."), None
    ranking = matching.rank_own_demand(lot, user.enterprise_id)
    if ranking.matches:
        match = ranking.matches[0]
        return True, "", (match, db.session.get(DemandListing, match.id))
    if ranking.excluded:
        why = refusals(ranking.excluded, lot, user.enterprise_id)
        return False, _("Your enterprise may not bid on this lot: %(why)s.", why=why), None
    return (
        False,
        _(
            "None of your open demand listings takes %(code)s; post one first.",
            code=lot.waste_code.code,
        ),
        None,
    )
