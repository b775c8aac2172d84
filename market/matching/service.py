"""The one database-aware part of matching: rows into core types, the live indexes
of this process, park settings, and loading the ranked listings for display.

How stale a ranking can be: in the process that made a change, not at all (the
listing and deal services mark the indexes dirty and the next ranking reads it; a
ranking on another thread reads one whole snapshot, before or after the change). In other worker
processes, by at most MATCHING_REFRESH_SECONDS (default 1 s) after the change is
committed: each ranking first re-reads listings whose updated_at is newer than
the last read minus a 60 s margin. With Redis (MARKET_REDIS_URL) the re-read waits for
a change notice instead of the interval (market.notices): the committing process
announces after its commit, and the next ranking anywhere re-reads at once. A
transaction that commits more than 60 s after it stamped updated_at is picked up by
the full rebuild every MATCHING_REBUILD_SECONDS (default 600 s; built on a thread beside
the live index, which serves until the new one is ready). A credit grade
change is seen at once in every worker: it raises the grade version (market.credit),
which each ranking compares with the one its index last read, and the refresh then
re-reads the listings of every enterprise whose evaluation changed since the last read.
"""

import gc
import logging
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from market import clock, notices
from market.accounts.models import Enterprise, Licence, ParkMatchSettings
from market.accounts.states import EnterpriseStatus
from market.catalog.models import WasteCode
from market.credit import queries as credit_queries
from market.credit.models import Evaluation, grade_only
from market.db import utcnow
from market.extensions import db
from market.listings.models import DemandListing, SupplyListing
from market.listings.states import ListingStatus
from market.matching.live import LiveIndex
from market.matching.types import CodeKey, Demand, Filter, Ranking, Settings, Supply, Weights

MARGIN = timedelta(seconds=60)
FREEZE_FROM = 20_000  # listings in an index from which its build freezes the survivors


def _key(code: WasteCode) -> CodeKey:
    return CodeKey.parse(code.code, code.is_hazardous)


def demand_of(row: DemandListing, today: date) -> Demand:
    # Only a licence the park administrator approved covers anything: a pending or
    # rejected one counts as none (hazardous lots then fail the code filter).
    licence: Licence | None = row.licence if row.licence and row.licence.is_approved else None
    return Demand(
        id=row.id,
        enterprise_id=row.enterprise_id,
        lat=row.lat,
        lon=row.lon,
        codes=tuple(_key(c) for c in row.codes),
        remaining_kg=row.remaining_capacity_kg,
        radius_km=float(row.service_radius_km),
        licence_codes=frozenset(c.code for c in licence.codes) if licence else frozenset(),
        licence_from=licence.valid_from if licence else None,
        licence_until=licence.valid_until if licence else None,
        has_licence=licence is not None,
        grade=row.enterprise.grade_on(today),
    )


def supply_of(row: SupplyListing, today: date) -> Supply:
    return Supply(
        id=row.id,
        enterprise_id=row.enterprise_id,
        lat=row.lat,
        lon=row.lon,
        code=_key(row.waste_code),
        quantity_kg=row.quantity_kg,
        grade=row.enterprise.grade_on(today),
    )


def _open(model, today: date):
    return (
        (model.status == ListingStatus.OPEN)
        & (model.available_until >= today)
        & model.enterprise.has(Enterprise.status == EnterpriseStatus.ACTIVE)
    )


def _live(row, today: date) -> bool:
    """What _open says, of a loaded row: a suspended enterprise's listings are hidden."""
    return (
        row.status == ListingStatus.OPEN
        and row.available_until >= today
        and not row.enterprise.is_suspended
    )


def _demand_rows(condition):
    return (
        db.session.execute(
            db.select(DemandListing)
            .where(condition)
            .options(
                selectinload(DemandListing.codes),
                selectinload(DemandListing.enterprise)
                .selectinload(Enterprise.evaluation_in_force)
                .options(*grade_only()),
                selectinload(DemandListing.licence).selectinload(Licence.codes),
            )
        )
        .scalars()
        .all()
    )


def _supply_rows(condition):
    return (
        db.session.execute(
            db.select(SupplyListing)
            .where(condition)
            .options(
                selectinload(SupplyListing.waste_code),
                selectinload(SupplyListing.enterprise)
                .selectinload(Enterprise.evaluation_in_force)
                .options(*grade_only()),
            )
        )
        .scalars()
        .all()
    )


@dataclass
class _State:
    demand: LiveIndex
    supply: LiveIndex
    built_at: float
    checked_at: float
    watermark: object  # datetime of the last read
    day: date
    dirty: bool = False
    grades: int = 0  # the credit grade version this index last read
    notice: int | None = None  # the listing change notices it last read (None: no Redis)


log = logging.getLogger(__name__)
_lock = threading.Lock()
_states: dict[str, _State] = {}
_rebuilds: dict[str, threading.Thread] = {}  # the rebuild under way per database


def _build(today: date) -> _State:
    started, grades = utcnow(), credit_queries.grade_version()
    notice = notices.listings_version()  # read before the listings it covers
    demands = [demand_of(r, today) for r in _demand_rows(_open(DemandListing, today))]
    supplies = [supply_of(r, today) for r in _supply_rows(_open(SupplyListing, today))]
    now = time.monotonic()
    return _State(
        LiveIndex.for_demand(demands),
        LiveIndex.for_supply(supplies),
        now,
        now,
        started,
        today,
        grades=grades,
        notice=notice,
    )


def _refresh(state: _State, today: date, grades: int, notice: int | None) -> None:
    started = utcnow()
    since = state.watermark - MARGIN
    # The regraded enterprises first, as a list: with the subquery inside the OR below,
    # PostgreSQL scanned every listing (121 ms at a million) on each refresh
    regraded = list(
        db.session.scalars(
            db.select(Evaluation.enterprise_id).where(Evaluation.updated_at >= since).distinct()
        )
    )
    for model, index, rows_of, convert in (
        (DemandListing, state.demand, _demand_rows, demand_of),
        (SupplyListing, state.supply, _supply_rows, supply_of),
    ):
        recent = model.updated_at >= since
        changed = rows_of(recent | model.enterprise_id.in_(regraded) if regraded else recent)
        live = [convert(r, today) for r in changed if _live(r, today)]
        live_ids = {x.id for x in live}
        gone = [r.id for r in changed if r.id not in live_ids]
        index.apply(live, gone)
    state.watermark, state.checked_at, state.dirty = started, time.monotonic(), False
    state.grades, state.notice = grades, notice


def _changed_elsewhere(state: _State, notice: int | None, now: float, every: float) -> bool:
    """With change notices: when one arrived since the last read. Without them (no Redis,
    or Redis unreadable): when the refresh interval has passed."""
    if notice is not None:
        return notice != state.notice
    return now - state.checked_at >= every


def _state_if_built(today: date) -> _State | None:
    """This process's index brought up to date, if one is built for today; else None (a
    build takes seconds at a million listings)."""
    state = _states.get(db.engine.url.render_as_string())
    if state is None or state.day != today:
        return None
    return _state(today)


def _state(today: date) -> _State:
    config = current_app.config
    key = db.engine.url.render_as_string()
    with _lock:
        state = _states.get(key)
        now = time.monotonic()
        if state is None or state.day != today:
            state = _states[key] = _build(today)
            _settle(state)
            return state
        if now - state.built_at >= config["MATCHING_REBUILD_SECONDS"]:
            _rebuild_beside(key, today)
        grades = credit_queries.grade_version()  # read before the listings it covers
        notice = notices.listings_version()
        every = config["MATCHING_REFRESH_SECONDS"]
        moved = grades != state.grades or _changed_elsewhere(state, notice, now, every)
        if state.dirty or moved:
            _refresh(state, today, grades, notice)
        return state


def _rebuild_beside(key: str, today: date) -> None:
    """The periodic full rebuild, on a thread of its own while rankings go on with the
    index they have (with _lock held throughout, every ranking of the worker waited the
    seven seconds a million listings take). The new index replaces the old one when done
    and re-reads, on its next ranking, what changed while it was built. One at a time."""
    if key in _rebuilds:
        return
    app = current_app._get_current_object()

    def rebuild() -> None:
        try:
            with app.app_context():
                try:
                    fresh = _build(today)
                    fresh.dirty = True  # changes made meanwhile in this process
                    with _lock:
                        if key in _states and _states[key].day == today:
                            _states[key] = fresh
                    _settle(fresh)
                finally:
                    db.session.remove()
        except Exception:  # the old index serves on; the next ranking tries again
            log.exception("matching index rebuild failed")
        finally:
            _rebuilds.pop(key, None)

    _rebuilds[key] = thread = threading.Thread(target=rebuild, name="matching-rebuild", daemon=True)
    thread.start()


def _settle(state: _State) -> None:
    """A large index is hundreds of thousands of long-lived objects. Python's full garbage
    collection walks every tracked object: at the load test's million listings (830,000
    objects) each took 0.47 s, holding the interpreter lock, and stalled every request of
    the worker now and then (the load test's p99). Collected once now, the survivors are
    frozen (gc.freeze), so later full collections skip them. Unfrozen first: the previous
    index, frozen at its own build, is garbage now and must be collectable."""
    if len(state.demand) + len(state.supply) < FREEZE_FROM:
        return  # small: a full collection is quick anyway
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    log.info(
        "matching index built; %d objects frozen in %.2f s",
        gc.get_freeze_count(),
        time.perf_counter() - started,
    )


def warm_in_background(app) -> threading.Thread:
    """Build this process's index now, in a thread of its own, so that no request waits
    for it: a worker's first ranking at a million listings took 10-70 s
    (docs/benchmarks.md, "Load test"). A ranking asked for meanwhile waits for this build
    (the lock) instead of starting its own."""

    def build() -> None:
        with app.app_context():
            try:
                _state(clock.today())
            except Exception:  # the first ranking builds it instead, as without warming
                log.exception("matching index warm-up failed")
            finally:
                db.session.remove()

    thread = threading.Thread(target=build, name="matching-warm-up", daemon=True)
    thread.start()
    return thread


def mark_dirty() -> None:
    """Called by the listing and deal services: this process's next ranking re-reads
    changes; other processes once the transaction commits (with Redis)."""
    notices.listings_changed()
    for state in list(_states.values()):  # a copy: another thread may add a state
        state.dirty = True


def reset() -> None:
    with _lock:
        _states.clear()


def settings_row(park_id: int) -> ParkMatchSettings:
    row = db.session.execute(
        db.select(ParkMatchSettings).filter_by(park_id=park_id)
    ).scalar_one_or_none()
    return row or ParkMatchSettings(
        park_id=park_id,
        w_code=0.35,
        w_distance=0.25,
        w_capacity=0.20,
        w_credit=0.20,
        grade_a=1.0,
        grade_b=0.8,
        grade_c=0.5,
        grade_none=0.6,
        default_radius_km=50,
        road_factor=1.0,
        notify_min_score=0.8,
        notify_top_n=5,
    )


def settings_for(park_id: int) -> Settings:
    return to_settings(settings_row(park_id))


def to_settings(row) -> Settings:
    return Settings(
        weights=Weights(row.w_code, row.w_distance, row.w_capacity, row.w_credit),
        grade_values={"A": row.grade_a, "B": row.grade_b, "C": row.grade_c, None: row.grade_none},
        road_factor=row.road_factor,
    )


def rank_demand_for(
    listing: SupplyListing, k: int = 10, settings: Settings | None = None, today: date | None = None
) -> Ranking:
    today = today or clock.today()
    settings = settings or settings_for(listing.enterprise.park_id)
    return _state(today).demand.rank(supply_of(listing, today), settings, today, k)


def rank_supply_for(
    listing: DemandListing, k: int = 10, settings: Settings | None = None, today: date | None = None
) -> Ranking:
    today = today or clock.today()
    settings = settings or settings_for(listing.enterprise.park_id)
    return _state(today).supply.rank(demand_of(listing, today), settings, today, k)


def load(model, ids) -> dict[int, object]:
    """The listings a ranking names, with what the page shows of them."""
    if not ids:
        return {}
    rows = db.session.execute(
        db.select(model)
        .where(model.id.in_(list(ids)))
        .options(joinedload(model.enterprise).joinedload(Enterprise.park))
    ).scalars()
    return {r.id: r for r in rows}


def code_label(level: float) -> str:
    if level >= 1.0:
        return _("same code")
    if level >= 0.7:
        return _("same subcategory")
    return _("same category")


def reason(kind: str, name: Filter, listing) -> str:
    """Why counterparts were left out, said from the viewer's side."""
    if name == Filter.CODE:
        if kind == "supply":
            return _("licence does not cover %(code)s", code=listing.waste_code.code)
        return _("hazardous lot whose code your licence does not cover")
    if name == Filter.RADIUS:
        if kind == "supply":
            return _("outside their service radius")
        return _("outside your %(km)d km service radius", km=listing.service_radius_km)
    texts = {
        Filter.SAME_ENTERPRISE: _("your own enterprise"),
        Filter.CAPACITY: _("no remaining capacity"),
        Filter.LICENCE: _("no licence valid on %(day)s", day=clock.today().isoformat()),
        Filter.CREDIT: _("credit grade D"),
    }
    return texts[name]


def rank_own_demand(
    listing: SupplyListing, enterprise_id: int, today: date | None = None
) -> Ranking:
    """The lot against one recycler's own open demand listings: is it eligible to bid,
    and if not, which hard filter says no (even for listings far out of reach)."""
    from market.matching.reference import ranking

    today = today or clock.today()
    state = _state_if_built(today)
    if state is not None:  # the index already holds them, as fresh as its rankings
        demands = state.demand.owned_by(enterprise_id)
    else:  # no index in this process yet: not worth building one for this
        rows = _demand_rows(
            (DemandListing.enterprise_id == enterprise_id) & _open(DemandListing, today)
        )
        demands = [demand_of(r, today) for r in rows]
    settings = settings_for(listing.enterprise.park_id)
    return ranking(supply_of(listing, today), demands, settings, today, k=max(1, len(demands)))
