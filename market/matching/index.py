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
from market.matching.scoring import (
    EXAMPLES,
    GRADE_D,
    GRADES,
    grade_index,
    lowest,
    rounded_score,
    top_k,
    whole_metres_km,
)
from market.matching.types import (
    Demand,
    Filter,
    Match,
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
COPIED = ("ids", "enterprise", "radius", "remaining", "grade")
# Where a chord between unit vectors is compared with a radius, the decision is taken
# from the chord only when the road km is this far from the radius; nearer, the km is
# computed as the plain path computes it (haversine, whole metres) and compared.
CHORD_MARGIN_KM = 0.002
# The first hard filter each recycler fails that depends only on the recycler and the
# day (capacity, licence, credit), as an index into Filter; -1: none.
FILTER_NUMBER = {name: i for i, name in enumerate(Filter)}


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
        self._cache: dict = {}  # per road factor: chord thresholds; per day: filters

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
        # Unit vectors: the squared chord to a lot is a few multiplications where the
        # haversine takes two sines and an arcsine per entry.
        lat, lon = self.coords[self.e_row, 0], self.coords[self.e_row, 1]
        self.e_x = np.cos(lat) * np.cos(lon)
        self.e_y = np.cos(lat) * np.sin(lon)
        self.e_z = np.sin(lat)
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
        with the squared chord to the lot (a superset: the caller applies each radius)."""
        numbers, radius = self.group_arrays.get(self.vocab.get(supply.code.category), NO_GROUPS)
        lo, hi = strips.query_bounds(
            numbers, tree_reach(radius, road_factor), supply.lat, supply.lon
        )
        entries = strips.runs(self.e_key, lo, hi)
        x0, y0, z0 = unit_vector(supply.lat, supply.lon)
        dx = np.take(self.e_x, entries) - x0
        dy = np.take(self.e_y, entries) - y0
        dz = np.take(self.e_z, entries) - z0
        dx *= dx
        dy *= dy
        dz *= dz
        dx += dy
        dx += dz
        return entries, dx

    def road_km(self, entries: np.ndarray, supply: Supply, road_factor: float) -> np.ndarray:
        """Road km to these entries as the plain path computes it (whole metres)."""
        rows = self.e_row[entries]
        lat, lon = self.coords[rows, 0], self.coords[rows, 1]
        lat0, lon0 = np.radians(supply.lat), np.radians(supply.lon)
        km = strips.haversine_km(lat, lon, np.cos(lat), lat0, lon0)
        return whole_metres_km(km * road_factor)

    def _chord_limits(self, road_factor: float) -> tuple[np.ndarray, np.ndarray]:
        """Per entry, squared chords below which it is surely within its radius and above
        which it is surely not (CHORD_MARGIN_KM either side; float32, rounded outward)."""
        key = ("chord", road_factor)
        if key not in self._cache:
            theta = np.stack([self.e_radius - CHORD_MARGIN_KM, self.e_radius + CHORD_MARGIN_KM])
            theta /= road_factor * strips.EARTH_KM
            chord2 = (2.0 * np.sin(np.clip(theta, 0.0, np.pi) / 2.0)) ** 2
            chord2[0][theta[0] <= 0] = -1.0  # nothing is surely inside a radius this small
            chord2[1][theta[1] >= np.pi] = 5.0  # nothing is surely outside this one
            inner, outer = chord2.astype(np.float32)
            inner = np.where(inner > chord2[0], np.nextafter(inner, np.float32(-np.inf)), inner)
            outer = np.where(outer < chord2[1], np.nextafter(outer, np.float32(np.inf)), outer)
            self._cache[key] = (inner, outer)
        return self._cache[key]

    def _day_filters(self, today, hazardous: bool) -> np.ndarray:
        """Per entry, the first of capacity, licence, credit it fails on the day (int8
        index into Filter; -1: none). Cached: a day and a kind of lot ask it again."""
        day = day_number(today, 0)
        key = ("day", day, hazardous)
        if key not in self._cache:
            if len(self._cache) > 8:
                self._cache = {k: v for k, v in self._cache.items() if k[0] == "chord"}
            rows = self.e_row
            licence_ok = (self.lic_from[rows] <= day) & (day <= self.lic_until[rows])
            if hazardous:
                licence_ok &= self.has_licence[rows]
            first = np.full(len(rows), -1, np.int8)
            first[self.post["grade"] == GRADE_D] = FILTER_NUMBER[Filter.CREDIT]
            first[~licence_ok] = FILTER_NUMBER[Filter.LICENCE]
            first[self.post["remaining"] <= 0] = FILTER_NUMBER[Filter.CAPACITY]
            self._cache[key] = first
        return self._cache[key]

    def rank(self, supply: Supply, settings: Settings, today, k: int = 10) -> Ranking:
        return self._rank(
            supply, *self.candidates(supply, settings.road_factor), settings, today, k
        )

    def rank_many(
        self, supplies: list[Supply], settings: Settings, today, k: int = 10
    ) -> list[Ranking]:
        """`rank` for each lot (the all-pairs entry point of bench/matching.py)."""
        return [self.rank(s, settings, today, k) for s in supplies]

    def _rank(self, supply: Supply, entries, chord2, settings: Settings, today, k: int):
        """Rank the live recyclers within their own radius; count everyone else."""
        inner, outer = self._chord_limits(settings.road_factor)
        inside = chord2 <= np.take(inner, entries)
        unsure = np.flatnonzero(~inside & (chord2 <= np.take(outer, entries)))
        if len(unsure):  # within CHORD_MARGIN_KM of the radius: decide as the plain path
            near = entries[unsure]
            km = self.road_km(near, supply, settings.road_factor)
            inside[unsure] = km <= self.e_radius[near]
        outside = ~inside
        if self.n_alive < len(self.ids):  # some rows retired: look them up
            alive = self.alive[self.e_row[entries]]
            inside &= alive
            outside &= alive
        keep = np.flatnonzero(inside)
        missed = self._near_misses(entries[outside], supply)
        entries, chord2 = entries[keep], chord2[keep]
        level = self._entry_level(entries, supply)
        first = np.take(self._day_filters(today, supply.code.hazardous), entries)
        first[np.isnan(level)] = FILTER_NUMBER[Filter.CODE]
        first[np.take(self.post["enterprise"], entries) == supply.enterprise_id] = 0
        counts = np.bincount(first.astype(np.int64) + 1, minlength=len(Filter) + 1)
        excluded, examples = {}, {}
        for i, name in enumerate(Filter):
            if counts[i + 1]:
                excluded[name] = int(counts[i + 1])
                if name != Filter.SAME_ENTERPRISE:  # whole_market lists the own rows
                    examples[name] = lowest(np.take(self.post["ids"], entries[first == i]))
        ok = np.flatnonzero(first < 0)
        matches = self._top(supply, entries[ok], level[ok], chord2[ok], settings, k)
        within = Ranking(matches, excluded, examples, len(entries), len(ok))
        return self._whole_market(within, supply, missed)

    def _top(self, supply: Supply, entries, level, chord2, settings: Settings, k: int):
        """The best k of these eligible entries, in the order of scoring.top_k.

        Only a pool is scored exactly: a bound on each entry's score (its distance part
        from the chord, which is never longer than the arc) keeps every entry that could
        reach the k-th best exact score of the k entries with the best bounds."""
        post, w = self.post, settings.weights.as_tuple()
        radius = np.take(self.e_radius, entries)
        with np.errstate(divide="ignore", invalid="ignore"):
            capacity = np.clip(
                np.take(post["remaining"], entries) / np.maximum(supply.quantity_kg, 1), 0.0, 1.0
            )
        values = np.array([settings.grade_value(g) for g in GRADES])
        credit = values[np.take(post["grade"], entries)]
        pool = np.arange(len(entries))
        if len(entries) > 4 * k and w[1] >= 0:
            km_low = np.sqrt(chord2) * (settings.road_factor * strips.EARTH_KM * (1 - 1e-9))
            km_low -= 0.001
            with np.errstate(divide="ignore", invalid="ignore"):
                distance = np.clip(1.0 - km_low / radius, 0.0, 1.0)
            bound = w[0] * level + w[2] * capacity + w[3] * credit + w[1] * distance
            best = np.argpartition(-bound, k - 1)[:k]
            cut = self._scores(supply, entries, level, capacity, credit, radius, best, settings)
            pool = np.flatnonzero(bound >= cut[0].min() - 2e-9)
        total, km, distance = self._scores(
            supply, entries, level, capacity, credit, radius, pool, settings
        )
        ids = np.take(post["ids"], entries[pool])
        grade = np.take(post["grade"], entries[pool])
        return [
            Match(
                id=int(ids[r]),
                score=float(total[r]),
                code=float(level[pool[r]]),
                distance_km=float(km[r]),
                distance=float(distance[r]),
                capacity=float(capacity[pool[r]]),
                credit=float(credit[pool[r]]),
                grade=GRADES[int(grade[r])],
            )
            for r in top_k(total, km, ids, k)
        ]

    def _scores(self, supply, entries, level, capacity, credit, radius, which, settings):
        """Exact scores (as scoring.scores adds them), road km and distance parts."""
        km = self.road_km(entries[which], supply, settings.road_factor)
        w = settings.weights.as_tuple()
        with np.errstate(divide="ignore", invalid="ignore"):
            distance = np.clip(1.0 - km / radius[which], 0.0, 1.0)
        total = rounded_score(
            w[0] * level[which] + w[1] * distance + w[2] * capacity[which] + w[3] * credit[which]
        )
        return total, km, distance

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


def unit_vector(lat_deg: float, lon_deg: float) -> tuple[float, float, float]:
    """The point on the unit sphere, computed as the entries' vectors are (numpy)."""
    lat, lon = np.radians(np.array([lat_deg])), np.radians(np.array([lon_deg]))
    return (
        float((np.cos(lat) * np.cos(lon))[0]),
        float((np.cos(lat) * np.sin(lon))[0]),
        float(np.sin(lat)[0]),
    )
