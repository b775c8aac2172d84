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

from market.matching.rows import (
    EARTH_KM,
    LiveRows,
    Vocab,
    count_keys,
    decrement,
    radians,
    tree_reach,
    whole_market,
)
from market.matching.scoring import EXAMPLES, Pairs, grade_index, rank, whole_metres_km
from market.matching.types import (
    Demand,
    Ranking,
    Settings,
    Supply,
    day_number,
)

# Radius bands: within a band radii differ by at most ~1.6×, so querying each band
# at its largest radius fetches few recyclers that cannot reach the lot.
BANDS_KM = (20.0, 30.0, 50.0, 80.0, 120.0, 200.0, 300.0, 500.0, 3000.0)
LEVEL = {"exact": 1.0, "subcategory": 0.7, "category": 0.4}
NO_DAY = -(10**6)
POSTING_ARRAYS = ("p_row", "p_code", "p_sub", "p_cat", "p_licensed")


def _joined(parts: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
    if not parts:
        return np.empty(0, np.int64), np.empty(0)
    return np.concatenate([p for p, _ in parts]), np.concatenate([d for _, d in parts])


@dataclass
class _Group:
    tree: BallTree
    postings: np.ndarray  # indices into the posting arrays
    max_radius_km: float


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
        self.coords = radians([d.lat for d in demands], [d.lon for d in demands]).reshape(n, 2)
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
        self.p_radius = self.radius[self.p_row]
        self._index_enterprises()
        self._index_postings_by_row()
        self._count_compatible()

    def _index_postings_by_row(self) -> None:
        """Each row's postings, to count the codes of a few rows (own, retired)."""
        self.row_posts = np.argsort(self.p_row, kind="stable")
        starts = np.searchsorted(self.p_row[self.row_posts], np.arange(len(self.ids) + 1))
        self.row_start = starts

    def _posts_of(self, rows) -> list[np.ndarray]:
        return [self.row_posts[self.row_start[r] : self.row_start[r + 1]] for r in rows]

    def _count_compatible(self) -> None:
        """Live recyclers per category (any code of it fits a non-hazardous lot) and per
        licensed code (the only fit for a hazardous lot), for whole-market counts."""
        n = max(len(self.ids), 1)
        self.rows_in_cat = count_keys(np.unique(self.p_cat.astype(np.int64) * n + self.p_row) // n)
        lic = self.p_licensed
        keys = np.unique(self.p_code[lic].astype(np.int64) * n + self.p_row[lic])
        self.rows_licensed = count_keys(keys // n)

    def _forget(self, rows: np.ndarray) -> None:
        posts = self._posts_of(rows)
        self.rows_in_cat = decrement(
            self.rows_in_cat, (k for p in posts for k in set(self.p_cat[p]))
        )
        licensed = (set(self.p_code[p][self.p_licensed[p]]) for p in posts)
        self.rows_licensed = decrement(self.rows_licensed, (k for c in licensed for k in c))

    def _fits(self, posts: np.ndarray, supply: Supply) -> bool:
        if supply.code.hazardous:
            code = self.vocab.get(supply.code.code)
            return bool(np.any((self.p_code[posts] == code) & self.p_licensed[posts]))
        return bool(np.any(self.p_cat[posts] == self.vocab.get(supply.code.category)))

    def _whole_market(self, within: Ranking, supply: Supply, missed: list[int]) -> Ranking:
        own = self.own_rows(supply.enterprise_id)
        own_fit = sum(self._fits(p, supply) for p in self._posts_of(own))
        if supply.code.hazardous:
            fit = self.rows_licensed.get(self.vocab.get(supply.code.code), 0)
        else:
            fit = self.rows_in_cat.get(self.vocab.get(supply.code.category), 0)
        return whole_market(within, self.n_alive, self.ids[own], fit - own_fit, missed)

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
        for name in POSTING_ARRAYS:
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
            points = radians([supplies[i].lat for i in members], [supplies[i].lon for i in members])
            for group in self.groups.get(category, ()):
                reach = tree_reach(group.max_radius_km, road_factor)
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
        """Rank the live recyclers within their own radius; count everyone else."""
        km = whole_metres_km(km * settings.road_factor)
        rows = self.p_row[postings]
        alive = self.alive[rows]
        inside = km <= self.p_radius[postings]
        keep = np.flatnonzero(inside & alive)
        missed = self._near_misses(postings[~inside & alive], supply)
        postings, rows, km = postings[keep], rows[keep], km[keep]
        level = self._code_level(postings, supply)
        pick = self._best_per_row(rows, level)
        rows, level, km = rows[pick], level[pick], km[pick]
        within = rank(self._pairs(rows, level, km, supply, today), settings, k)
        return self._whole_market(within, supply, missed)

    def _near_misses(self, postings: np.ndarray, supply: Supply) -> list[int]:
        """A few recyclers the trees returned that fit the lot but whose own radius is
        short of it: examples for "outside the radius" (the count is exact regardless)."""
        fits = ~np.isnan(self._code_level(postings, supply))
        rows = self.p_row[postings[fits]]
        rows = rows[self.enterprise[rows] != supply.enterprise_id]
        return [int(i) for i in np.unique(self.ids[rows])[:EXAMPLES]]

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

    def _pairs(self, rows, level, km, supply: Supply, today) -> Pairs:
        day = day_number(today, 0)
        valid = (self.lic_from[rows] <= day) & (day <= self.lic_until[rows])
        licence_ok = np.where(self.has_licence[rows], valid, not supply.code.hazardous)
        return Pairs(
            ids=self.ids[rows],
            same_enterprise=self.enterprise[rows] == supply.enterprise_id,
            code=level,
            distance_km=km,
            radius_km=self.radius[rows],
            remaining_kg=self.remaining[rows],
            quantity_kg=np.full(len(rows), supply.quantity_kg, np.int64),
            licence_ok=licence_ok,
            grade=self.grade[rows],
        )
