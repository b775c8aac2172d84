"""The trading hall's shared reads, kept a few seconds (HALL_CACHE_SECONDS): what is the
same for everyone asking with the same filter — a page's ids and the count, or for
nearest-first the open listings' ids and coordinates, ordered per viewer by the caller.
In Redis when configured (every process shares it), else in this app's memory. Keys carry
the listing change notices' version, so a committed change is a new key at once."""

import logging
import threading
import time
from collections.abc import Callable

import numpy as np
from flask import current_app
from redis.exceptions import RedisError

from market import notices
from market.extensions import redis_client, redis_key
from market.geo import EARTH_RADIUS_KM

log = logging.getLogger(__name__)
MEMORY_ENTRIES = 512  # without Redis: the most keys one process keeps


def seconds() -> float:
    return float(current_app.config.get("HALL_CACHE_SECONDS", 0) or 0)


def enabled() -> bool:
    return seconds() > 0


def version() -> str:
    """The change notices' count (Redis), or this process's own (without Redis)."""
    shared = notices.listings_version()
    return f"r{shared}" if shared is not None else f"l{notices.local_version()}"


def fetch(parts: tuple, compute: Callable[[], bytes]) -> bytes:
    """The bytes cached under `parts`, or `compute()`'s, kept for HALL_CACHE_SECONDS.
    One thread of a process computes a missing key while the others wait for it: when a
    key expired, every request then asking computed the same answer at once (the nearest-
    first places of every open lot) and held each other up past 200 ms."""
    key = redis_key("hall", version(), *parts)
    client = redis_client()
    store = _Redis(client) if client is not None else _memory()
    found = store.get(key)
    if found is not None:
        return found
    if store.down:  # nothing to wait for: no one can fill it
        return compute()
    with _FLIGHTS[hash(key) % len(_FLIGHTS)]:
        found = store.get(key)  # filled by the thread this one waited for
        if found is None:
            found = compute()
            store.put(key, found, seconds())
    return found


_FLIGHTS = tuple(threading.Lock() for _ in range(64))  # by key: bounded, never cleaned


class _Redis:
    """The shared store, for one fetch. Once Redis failed it is not asked again in that
    fetch: a miss, computed, not written (each try may wait for its timeout)."""

    def __init__(self, client):
        self.client, self.down = client, False

    def get(self, key: str) -> bytes | None:
        if self.down:
            return None
        try:
            return self.client.get(key)
        except RedisError as exc:
            self.down = True
            log.warning("hall cache unreadable, reading the database: %s", exc)
            return None

    def put(self, key: str, value: bytes, ttl: float) -> None:
        if self.down:
            return
        try:
            self.client.set(key, value, px=int(ttl * 1000))
        except RedisError as exc:
            log.warning("hall cache not written: %s", exc)


class _Memory:
    down = False  # this process's memory is always there

    def __init__(self):
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[float, bytes]] = {}

    def get(self, key: str) -> bytes | None:
        with self.lock:
            found = self.entries.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: str, value: bytes, ttl: float) -> None:
        now = time.monotonic()
        with self.lock:
            if len(self.entries) >= MEMORY_ENTRIES:
                self.entries = {k: v for k, v in self.entries.items() if v[0] >= now}
                if len(self.entries) >= MEMORY_ENTRIES:
                    self.entries.clear()
            self.entries[key] = (now + ttl, value)


def _memory() -> "_Memory":
    return current_app.extensions.setdefault("hall_cache", _Memory())


# -- what is cached: plain arrays of numbers, never pickled objects


def pack_ids(total: int, ids: list[int]) -> bytes:
    return np.array([total, *ids], dtype=np.int64).tobytes()


def unpack_ids(raw: bytes) -> tuple[int, list[int]]:
    values = np.frombuffer(raw, dtype=np.int64).tolist()
    return values[0], values[1:]


def pack_places(rows) -> bytes:
    """(id, lat, lon) rows as three arrays: ids, then latitudes, then longitudes."""
    ids = np.fromiter((r[0] for r in rows), np.float64, len(rows))
    lat = np.fromiter((r[1] for r in rows), np.float64, len(rows))
    lon = np.fromiter((r[2] for r in rows), np.float64, len(rows))
    return np.concatenate([ids, lat, lon]).tobytes()


def unpack_places(raw: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    values = np.frombuffer(raw, dtype=np.float64)
    n = len(values) // 3
    return values[:n].astype(np.int64), values[n : 2 * n], values[2 * n :]


def nearest(places, lat: float, lon: float, within_km, page: int, per_page: int):
    """The total and one page's ids, nearest first (ties: newest id first) from (lat, lon),
    as the hall's SQL orders them (market.geo.haversine_km, vectorised)."""
    ids, plat, plon = places
    km = _haversine(lat, lon, plat, plon)
    if within_km:
        keep = km <= within_km
        ids, km = ids[keep], km[keep]
    total, need = len(ids), page * per_page
    if need < total:  # only the first `need` (and whatever ties the last of them) sorted
        bound = np.partition(km, need - 1)[need - 1]
        keep = km <= bound
        ids, km = ids[keep], km[keep]
    order = np.lexsort((-ids, km))
    return total, ids[order][(page - 1) * per_page : need].tolist()


def _haversine(lat: float, lon: float, plat: np.ndarray, plon: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat), np.radians(plat)
    dp, dl = p2 - p1, np.radians(plon - lon)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
