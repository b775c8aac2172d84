"""The index of open demand listings, per waste category and radius band. Pure.

A supply lot looks for demand in its own category (ISW-17 and SW17 are one
category; hazardous codes are HWxx). Demand postings are split into radius bands
so a lot near the edge of a province does not pull every far-away recycler with a
small radius into its candidate set.
"""

from dataclasses import dataclass

import numpy as np

from market.matching import strips
from market.matching.rows import (
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
# Codes of an entry kept in its table row (1, 2, 4 or 8: a row of bools is read as one
# unsigned integer); an entry with more codes takes a slower path.
WIDTH = 4
PAD = -3  # an empty table cell: no vocabulary id (>= -1) and no lookup miss (-2)
NO_GROUPS = (np.empty(0), np.empty(0))
POSTING_ARRAYS = ("p_row", "p_code", "p_sub", "p_cat", "p_licensed")
# Row values copied into entry order: a query's entries are a few contiguous runs, so
# reading them there is sequential, where reading them by row is a random gather.
COPIED = (
    "ids",
    "enterprise",
    "radius",
    "remaining",
    "grade",
    "has_licence",
    "lic_from",
    "lic_until",
)


@dataclass
class _Group:
    number: int  # its place in the posting order
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
        # Without a licence the interval is unbounded: "valid" then says only that no
        # licence stands in the way (a hazardous lot also checks has_licence).
        self.lic_until = np.fromiter(
            (day_number(d.licence_until, -NO_DAY) for d in demands), np.int32, n
        )
        self._posting_arrays(demands)
        self._spatial_order()
        self.row_of = {int(i): r for r, i in enumerate(self.ids)}
        self.alive = np.ones(n, bool)
        self._groups()
        self._copy_rows()
        self._index_enterprises()
        self._index_postings_by_row()
        self._count_compatible()

    def _copy_rows(self) -> None:
        self.post = {name: getattr(self, name)[self.e_row] for name in COPIED}
        self.e_radius = self.post["radius"]

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
        """Postings by (category, radius band) and, inside a group, by strip and
        longitude (market.matching.strips); a recycler's postings sit side by side."""
        self.groups: dict[int, list[_Group]] = {}
        self.group_arrays: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if not len(self.p_row):
            self._entries(np.empty(0, np.int64), np.empty(0))
            return
        bands = np.searchsorted(BANDS_KM, self.radius[self.p_row], side="left")
        pairs, number = np.unique(self.p_cat.astype(np.int64) * 16 + bands, return_inverse=True)
        lat, lon = np.degrees(self.coords[self.p_row, 0]), np.degrees(self.coords[self.p_row, 1])
        key = strips.keys(number, lat, lon)
        biggest = np.zeros(len(pairs))
        np.maximum.at(biggest, number, self.radius[self.p_row])
        order = np.lexsort((self.p_row, key))
        for name in POSTING_ARRAYS:
            setattr(self, name, getattr(self, name)[order])
        self._entries(number[order], key[order])
        for g, pair in enumerate(pairs):
            group = _Group(g, float(biggest[g]))
            self.groups.setdefault(int(pair // 16), []).append(group)
        self.group_arrays = {
            cat: (
                np.array([g.number for g in groups], np.float64),
                np.array([g.max_radius_km for g in groups]),
            )
            for cat, groups in self.groups.items()
        }

    def _entries(self, group: np.ndarray, key: np.ndarray) -> None:
        """One entry per recycler and group: its postings there (adjacent, one per code)
        share its place and radius, so the search and the filters run once per recycler."""
        p_row = self.p_row
        new = np.r_[True, (p_row[1:] != p_row[:-1]) | (group[1:] != group[:-1])]
        self.e_start = np.flatnonzero(new)[: len(p_row)]
        self.e_count = np.diff(np.r_[self.e_start, len(p_row)])
        self.e_row = p_row[self.e_start]
        self.e_key = key[self.e_start]
        self.e_lat, self.e_lon = self.coords[self.e_row, 0], self.coords[self.e_row, 1]
        self.e_cos = np.cos(self.e_lat)
        self._code_table()

    def _code_table(self) -> None:
        """Each entry's codes, subcategories and licensed codes as rows of WIDTH cells,
        so a lot's code level is a few compares per entry with no reduction."""
        n = len(self.e_start)
        entry = np.repeat(np.arange(n), self.e_count)
        slot = np.arange(len(self.p_row)) - self.e_start[entry]
        fits = slot < WIDTH
        licensed = np.where(self.p_licensed, self.p_code, PAD)
        self.e_table = {}
        for name, values in (("code", self.p_code), ("sub", self.p_sub), ("lic", licensed)):
            table = np.full((n, WIDTH), PAD, np.int32)
            table[entry[fits], slot[fits]] = values[fits]
            self.e_table[name] = table

    def _holds(self, name: str, entries: np.ndarray, value: int) -> np.ndarray:
        """Whether each entry's table row `name` holds value."""
        found = np.take(self.e_table[name], entries, axis=0) == value  # a row gather:
        # np.take on axis 0 is ~10x faster than fancy indexing of a 2-d array
        return found.view(np.dtype(f"u{WIDTH}")).ravel() != 0

    def _postings_of(self, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The postings of these entries, in order, and where each entry's run starts."""
        count = self.e_count[entries]
        offsets = np.cumsum(count) - count
        total = int(count.sum())
        return np.repeat(self.e_start[entries] - offsets, count) + np.arange(total), offsets

    def candidates(self, supply: Supply, road_factor: float) -> tuple[np.ndarray, np.ndarray]:
        """The entries of the lot's category near enough for their band, in key order,
        with great-circle km (a superset: the caller applies each radius)."""
        numbers, radius = self.group_arrays.get(self.vocab.get(supply.code.category), NO_GROUPS)
        lo, hi = strips.query_bounds(
            numbers, tree_reach(radius, road_factor), supply.lat, supply.lon
        )
        entries = strips.runs(self.e_key, lo, hi)
        lat0, lon0 = np.radians(supply.lat), np.radians(supply.lon)
        km = strips.haversine_km(
            self.e_lat[entries], self.e_lon[entries], self.e_cos[entries], lat0, lon0
        )
        return entries, km

    def rank(self, supply: Supply, settings: Settings, today, k: int = 10) -> Ranking:
        return self._rank(
            supply, *self.candidates(supply, settings.road_factor), settings, today, k
        )

    def rank_many(
        self, supplies: list[Supply], settings: Settings, today, k: int = 10
    ) -> list[Ranking]:
        """`rank` for each lot (the all-pairs entry point of bench/matching.py)."""
        return [self.rank(s, settings, today, k) for s in supplies]

    def _rank(self, supply: Supply, entries, km, settings: Settings, today, k: int) -> Ranking:
        """Rank the live recyclers within their own radius; count everyone else."""
        km = whole_metres_km(km * settings.road_factor)
        inside = km <= self.e_radius[entries]
        outside = ~inside
        if self.n_alive < len(self.ids):  # some rows retired: look them up
            alive = self.alive[self.e_row[entries]]
            inside &= alive
            outside &= alive
        keep = np.flatnonzero(inside)
        missed = self._near_misses(entries[outside], supply)
        entries, km = entries[keep], km[keep]
        level = self._entry_level(entries, supply)
        within = rank(self._pairs(entries, level, km, supply, today), settings, k)
        return self._whole_market(within, supply, missed)

    def _near_misses(self, entries: np.ndarray, supply: Supply) -> list[int]:
        """A few recyclers the search returned that fit the lot but whose own radius is
        short of it: examples for "outside the radius" (the count is exact regardless)."""
        postings = self._postings_of(entries[: 16 * EXAMPLES])[0][: 16 * EXAMPLES]
        fits = ~np.isnan(self._code_level(postings, supply))
        rows = self.p_row[postings[fits]]
        rows = rows[self.enterprise[rows] != supply.enterprise_id]
        return [int(i) for i in np.unique(self.ids[rows])[:EXAMPLES]]

    def _entry_level(self, entries: np.ndarray, supply: Supply) -> np.ndarray:
        """The best code level of each entry's postings (NaN: none fits the lot), from
        its table row; an entry with more than WIDTH codes is a reduction over its run."""
        code, sub = self.vocab.get(supply.code.code), self.vocab.get(supply.code.subcategory)
        if supply.code.hazardous:
            # Hazardous: only the exact code, and only if the licence covers it.
            level = np.where(self._holds("lic", entries, code), LEVEL["exact"], np.nan)
        else:
            level = np.full(len(entries), LEVEL["category"])
            if sub >= 0:
                level[self._holds("sub", entries, sub)] = LEVEL["subcategory"]
            level[self._holds("code", entries, code)] = LEVEL["exact"]
        many = np.flatnonzero(self.e_count[entries] > WIDTH)
        if len(many):
            postings, offsets = self._postings_of(entries[many])
            each = self._code_level(postings, supply)
            best = np.maximum.reduceat(np.where(np.isnan(each), -1.0, each), offsets)
            level[many] = np.where(best < 0, np.nan, best)
        return level

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

    def _pairs(self, entries, level, km, supply: Supply, today) -> Pairs:
        """The pairs of the lot and the recyclers of these entries."""
        post = self.post
        day = day_number(today, 0)
        licence_ok = (post["lic_from"][entries] <= day) & (day <= post["lic_until"][entries])
        if supply.code.hazardous:
            licence_ok &= post["has_licence"][entries]
        return Pairs(
            ids=post["ids"][entries],
            same_enterprise=post["enterprise"][entries] == supply.enterprise_id,
            code=level,
            distance_km=km,
            radius_km=self.e_radius[entries],
            remaining_kg=post["remaining"][entries],
            quantity_kg=np.int64(supply.quantity_kg),
            licence_ok=licence_ok,
            grade=post["grade"][entries],
        )
