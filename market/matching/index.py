"""Geographic indexes of open listings: BallTree (haversine) per waste category. Pure.

A supply lot looks for demand in its own category (ISW-17 and SW17 are one
category; hazardous codes are HWxx). Demand postings are split into radius bands
so a lot near the edge of a province does not pull every far-away recycler with a
small radius into its candidate set.
"""

import threading
from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import BallTree

from market.matching.scoring import Pairs, grade_index, rank
from market.matching.types import (
    Demand,
    Ranking,
    Settings,
    Supply,
    day_number,
)

EARTH_KM = 6371.0088
# Radius bands: within a band radii differ by at most ~1.6×, so querying each band
# at its largest radius fetches few recyclers that cannot reach the lot.
BANDS_KM = (20.0, 30.0, 50.0, 80.0, 120.0, 200.0, 300.0, 500.0, 3000.0)
LEVEL = {"exact": 1.0, "subcategory": 0.7, "category": 0.4}
NO_DAY = -(10**6)
NEAR_MISS = 1.25  # fetch a little beyond the radius, so near misses can be explained


class Vocab:
    """Strings to small integers, so code comparisons are integer array compares."""

    def __init__(self):
        self.ids: dict[str, int] = {"": -1}

    def __call__(self, text: str) -> int:
        if text not in self.ids:
            self.ids[text] = len(self.ids) - 1
        return self.ids[text]

    def get(self, text: str) -> int:
        return self.ids.get(text, -2)  # -2 matches nothing, not even "no subcategory"


def _joined(parts: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
    if not parts:
        return np.empty(0, np.int64), np.empty(0)
    return np.concatenate([p for p, _ in parts]), np.concatenate([d for _, d in parts])


def _radians(lat, lon) -> np.ndarray:
    return np.radians(np.column_stack([np.asarray(lat, float), np.asarray(lon, float)]))


@dataclass
class _Group:
    tree: BallTree
    postings: np.ndarray  # indices into the posting arrays
    max_radius_km: float


class LiveRows:
    """What both indexes share: rows that stay in the arrays but can be marked gone."""

    row_of: dict[int, int]
    alive: np.ndarray

    def __len__(self) -> int:
        return int(self.alive.sum())

    def drop(self, listing_ids) -> None:
        for i in listing_ids:
            r = self.row_of.get(int(i))
            if r is not None:
                self.alive[r] = False


class DemandIndex(LiveRows):
    """Open demand listings, for ranking them against one supply lot."""

    ROW_ARRAYS = (
        "ids",
        "enterprise",
        "coords",
        "radius",
        "remaining",
        "grade",
        "has_licence",
        "lic_from",
        "lic_until",
    )

    def __init__(self, demands: list[Demand], vocab: Vocab | None = None):
        self.vocab = vocab or Vocab()
        n = len(demands)
        self.ids = np.fromiter((d.id for d in demands), np.int64, n)
        self.enterprise = np.fromiter((d.enterprise_id for d in demands), np.int64, n)
        self.coords = _radians([d.lat for d in demands], [d.lon for d in demands]).reshape(n, 2)
        self.radius = np.fromiter((d.radius_km for d in demands), np.float64, n)
        self.remaining = np.fromiter((d.remaining_kg for d in demands), np.int64, n)
        self.grade = np.fromiter((grade_index(d.grade) for d in demands), np.int8, n)
        self.has_licence = np.fromiter((d.has_licence for d in demands), bool, n)
        self.lic_from = np.fromiter(
            (day_number(d.licence_from, NO_DAY) for d in demands), np.int32, n
        )
        self.lic_until = np.fromiter(
            (day_number(d.licence_until, NO_DAY) for d in demands), np.int32, n
        )
        self._posting_arrays(demands)
        self._spatial_order()
        self.row_of = {int(i): r for r, i in enumerate(self.ids)}
        self.alive = np.ones(n, bool)
        self._local = threading.local()
        self._groups()

    def _posting_arrays(self, demands: list[Demand]) -> None:
        """One posting per (recycler listing, accepted code)."""
        rows, codes, subs, cats, licensed = [], [], [], [], []
        for r, d in enumerate(demands):
            for key in d.codes:
                rows.append(r)
                codes.append(self.vocab(key.code))
                subs.append(self.vocab(key.subcategory))
                cats.append(self.vocab(key.category))
                licensed.append(key.code in d.licence_codes)
        self.p_row = np.asarray(rows, np.int64)
        self.p_code = np.asarray(codes, np.int32)
        self.p_sub = np.asarray(subs, np.int32)
        self.p_cat = np.asarray(cats, np.int32)
        self.p_licensed = np.asarray(licensed, bool)

    def _spatial_order(self) -> None:
        """Rows near each other on the map go near each other in memory, so a query's
        candidates sit in few cache lines (about a third faster at a million listings)."""
        lat, lon = self.coords[:, 0], self.coords[:, 1]
        perm = np.lexsort((lon, np.floor(np.degrees(lat) * 4)))
        for name in self.ROW_ARRAYS:
            setattr(self, name, getattr(self, name)[perm])
        inverse = np.empty_like(perm)
        inverse[perm] = np.arange(len(perm))
        self.p_row = inverse[self.p_row]

    def _groups(self) -> None:
        """A BallTree per (category, radius band) over the postings' sites."""
        self.groups: dict[int, list[_Group]] = {}
        if not len(self.p_row):
            return
        bands = np.searchsorted(BANDS_KM, self.radius[self.p_row], side="left")
        # Postings too are stored by group and, inside a group, by map position.
        order = np.lexsort((self.p_row, bands, self.p_cat))
        for name in ("p_row", "p_code", "p_sub", "p_cat", "p_licensed"):
            setattr(self, name, getattr(self, name)[order])
        bands = bands[order]
        keys = np.stack([self.p_cat, bands], axis=1)
        starts = np.flatnonzero(np.r_[True, np.any(keys[1:] != keys[:-1], axis=1)])
        for s, e in zip(starts, np.r_[starts[1:], len(order)], strict=True):
            members = np.arange(s, e)
            group = _Group(
                BallTree(self.coords[self.p_row[members]], metric="haversine"),
                members,
                float(self.radius[self.p_row[members]].max()),
            )
            self.groups.setdefault(int(self.p_cat[members[0]]), []).append(group)

    def candidates_many(self, supplies: list[Supply], road_factor: float) -> list[tuple]:
        """For each lot, the postings of its category near enough for some band, with
        great-circle km. Lots of one category share one tree query per band."""
        found: list[list] = [[] for _ in supplies]
        by_category: dict[int, list[int]] = {}
        for i, supply in enumerate(supplies):
            by_category.setdefault(self.vocab.get(supply.code.category), []).append(i)
        for category, members in by_category.items():
            points = _radians(
                [supplies[i].lat for i in members], [supplies[i].lon for i in members]
            )
            for group in self.groups.get(category, ()):
                # A quarter beyond the band's largest radius: recyclers just out of reach
                # come back too, and are reported as "outside the radius".
                reach = group.max_radius_km * NEAR_MISS / road_factor / EARTH_KM
                idx, dist = group.tree.query_radius(points, r=reach, return_distance=True)
                for i, hits, km in zip(members, idx, dist, strict=True):
                    found[i].append((group.postings[hits], km * EARTH_KM))
        return [_joined(parts) for parts in found]

    def candidates(self, supply: Supply, road_factor: float) -> tuple[np.ndarray, np.ndarray]:
        return self.candidates_many([supply], road_factor)[0]

    def rank(self, supply: Supply, settings: Settings, today, k: int = 10) -> Ranking:
        return self._rank(
            supply, *self.candidates(supply, settings.road_factor), settings, today, k
        )

    def rank_many(
        self, supplies: list[Supply], settings: Settings, today, k: int = 10
    ) -> list[Ranking]:
        """The same rankings as `rank` for each lot, with the tree queries batched:
        for all-pairs runs, where one query per lot and band would dominate."""
        found = self.candidates_many(supplies, settings.road_factor)
        return [
            self._rank(s, postings, km, settings, today, k)
            for s, (postings, km) in zip(supplies, found, strict=True)
        ]

    def _rank(self, supply: Supply, postings, km, settings: Settings, today, k: int) -> Ranking:
        level = self._code_level(postings, supply)
        rows = self.p_row[postings]
        live = self.alive[rows]
        rows, level, km = rows[live], level[live], km[live]
        pick = self._best_per_row(rows, level)
        rows, level, km = rows[pick], level[pick], km[pick]
        return rank(self._pairs(rows, level, km, supply, today, settings), settings, k)

    def _best_per_row(self, rows: np.ndarray, level: np.ndarray) -> np.ndarray:
        """Several codes of one recycler may fit the lot: keep its best code level.
        Levels take four values, so instead of sorting, take the levels best first and
        keep the first posting of each row not seen yet (scratch arrays per thread)."""
        seen, owner = self._scratch()
        picked = []
        for value in (LEVEL["exact"], LEVEL["subcategory"], LEVEL["category"], np.nan):
            idx = np.flatnonzero(np.isnan(level) if value != value else level == value)
            idx = idx[~seen[rows[idx]]]
            owner[rows[idx]] = np.arange(len(idx))
            idx = idx[owner[rows[idx]] == np.arange(len(idx))]  # one posting per row
            seen[rows[idx]] = True
            picked.append(idx)
        pick = np.concatenate(picked)
        seen[rows[pick]] = False  # leave the scratch clean for the next query
        return pick

    def _scratch(self) -> tuple[np.ndarray, np.ndarray]:
        local = self._local
        if getattr(local, "seen", None) is None or len(local.seen) != len(self.ids):
            local.seen = np.zeros(len(self.ids), bool)
            local.owner = np.zeros(len(self.ids), np.int64)
        return local.seen, local.owner

    def _code_level(self, postings: np.ndarray, supply: Supply) -> np.ndarray:
        code, sub = self.vocab.get(supply.code.code), self.vocab.get(supply.code.subcategory)
        exact = self.p_code[postings] == code
        if supply.code.hazardous:
            # Hazardous: only the exact code, and only if the licence covers it.
            return np.where(exact & self.p_licensed[postings], LEVEL["exact"], np.nan)
        same_sub = (self.p_sub[postings] == sub) & (sub >= 0)
        return np.where(
            exact, LEVEL["exact"], np.where(same_sub, LEVEL["subcategory"], LEVEL["category"])
        )

    def _pairs(self, rows, level, km, supply: Supply, today, settings: Settings) -> Pairs:
        day = day_number(today, 0)
        valid = (self.lic_from[rows] <= day) & (day <= self.lic_until[rows])
        licence_ok = np.where(self.has_licence[rows], valid, not supply.code.hazardous)
        return Pairs(
            ids=self.ids[rows],
            same_enterprise=self.enterprise[rows] == supply.enterprise_id,
            code=level,
            distance_km=km * settings.road_factor,
            radius_km=self.radius[rows],
            remaining_kg=self.remaining[rows],
            quantity_kg=np.full(len(rows), supply.quantity_kg, np.int64),
            licence_ok=licence_ok,
            grade=self.grade[rows],
        )
