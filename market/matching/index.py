"""The index of open demand listings, per waste category and radius band. Pure.

A supply lot looks for demand in its own category (ISW-17 and SW17 are one
category; hazardous codes are HWxx). Demand postings are split into radius bands
so a lot near the edge of a province does not pull every far-away recycler with a
small radius into its candidate set.
"""

import copy
import math
from dataclasses import dataclass

import numpy as np

from market.geo import haversine_km
from market.matching import strips
from market.matching.rows import (
    LiveRows,
    Vocab,
    count_keys,
    decrement,
    tree_reach,
    whole_market,
)
from market.matching.scoring import (
    EXAMPLES,
    GRADE_D,
    GRADES,
    grade_index,
    rounded_score,
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
COPIED = ("enterprise", "radius", "remaining", "grade")
# Where a chord between unit vectors is compared with a radius, the decision is taken
# from the chord only when the road km is this far from the radius; nearer, the km is
# computed as the plain path computes it (haversine, whole metres) and compared.
CHORD_MARGIN_KM = 0.002
# The first hard filter each recycler fails that depends only on the recycler and the
# day (capacity, licence, credit), as an index into Filter; -1: none.
FILTER_NUMBER = {name: i for i, name in enumerate(Filter)}
FILTERS = tuple(Filter)
# Pairs (lot, recycler entry) ranked together by rank_many: lots are taken in chunks of
# about this many pairs, so the chunk's arrays stay within a few tens of MB.
CHUNK_PAIRS = 1 << 20


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
        # Degrees, as the listings give them: the exact distances are computed from them
        # by market.geo.haversine_km, the plain path's own function.
        self.coords = np.column_stack(
            [np.fromiter((d.lat for d in demands), np.float64, n),
             np.fromiter((d.lon for d in demands), np.float64, n)]
        ).reshape(n, 2)  # fmt: skip
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
        # Ids as ranks (int32): sorting by rank is sorting by id, and a rank packs into
        # one int64 sort key with a lot and a filter.
        self.rows_by_id = np.argsort(self.ids, kind="stable").astype(np.int32)
        self.id_rank = np.empty(len(self.ids), np.int32)
        self.id_rank[self.rows_by_id] = np.arange(len(self.ids), dtype=np.int32)
        self.post["rank"] = self.id_rank[self.e_row]
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
        perm = np.lexsort((lon, np.floor(lat * 4)))
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
            self._code_table()
            return
        # Temporaries are dropped as soon as they are used: the build's peak memory is
        # one of the benchmark's targets.
        bands = np.searchsorted(BANDS_KM, self.radius[self.p_row], side="left")
        pairs, number = np.unique(self.p_cat.astype(np.int64) * 16 + bands, return_inverse=True)
        del bands
        biggest = np.zeros(len(pairs))
        np.maximum.at(biggest, number, self.radius[self.p_row])
        lat, lon = self.coords[self.p_row, 0], self.coords[self.p_row, 1]
        key = strips.keys(number, lat, lon)
        del lat, lon
        order = np.lexsort((self.p_row, key))
        for name in POSTING_ARRAYS:
            setattr(self, name, getattr(self, name)[order])
        number, key = number[order], key[order]
        del order
        self._entries(number, key)
        del number, key
        self._code_table()
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
        self.e_start = _nonzero(new)[: len(p_row)]
        self.e_count = np.diff(np.r_[self.e_start, len(p_row)])
        self.e_row = p_row[self.e_start]
        self.e_key = key[self.e_start]
        # Unit vectors: the squared chord to a lot is a few multiplications where the
        # haversine takes two sines and an arcsine per entry.
        lat, lon = np.radians(self.coords[self.e_row, 0]), np.radians(self.coords[self.e_row, 1])
        self.e_x = np.cos(lat) * np.cos(lon)
        self.e_y = np.cos(lat) * np.sin(lon)
        self.e_z = np.sin(lat)

    def _code_table(self) -> None:
        """Each entry's codes, subcategories and licensed codes as rows of WIDTH cells,
        so a lot's code level is a few compares per entry with no reduction."""
        n = len(self.e_start)
        entry = np.repeat(np.arange(n, dtype=np.int32), self.e_count)
        slot = np.arange(len(self.p_row), dtype=np.int32) - self.e_start[entry]
        fits = _nonzero(slot < WIDTH)
        entry, slot = entry[fits], slot[fits]
        # Vocabulary ids fit in 16 bits unless the vocabulary is huge: half the bytes to
        # gather per entry.
        small = len(self.vocab.ids) < np.iinfo(np.int16).max - 8
        dtype = np.int16 if small else np.int32
        self.e_table = {}
        for name in ("code", "sub", "lic"):
            if name == "lic":
                values = np.where(self.p_licensed[fits], self.p_code[fits], PAD)
            else:
                values = getattr(self, f"p_{name}")[fits]
            table = np.full((n, WIDTH), PAD, dtype)
            table[entry, slot] = values
            self.e_table[name] = table

    def _holds(self, name: str, entries: np.ndarray, value: np.ndarray) -> np.ndarray:
        """Whether each entry's table row `name` holds its value."""
        value = value[:, None] if np.ndim(value) else value
        found = np.take(self.e_table[name], entries, axis=0) == value  # a row gather:
        # np.take on axis 0 is ~10x faster than fancy indexing of a 2-d array
        return found.view(np.dtype(f"u{WIDTH}")).ravel() != 0

    def _postings_of(self, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The postings of these entries, in order, and where each entry's run starts."""
        count = self.e_count[entries]
        offsets = np.cumsum(count) - count
        total = int(count.sum())
        return np.repeat(self.e_start[entries] - offsets, count) + np.arange(total), offsets

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
        return self.rank_many([supply], settings, today, k)[0]

    def rank_many(
        self, supplies: list[Supply], settings: Settings, today, k: int = 10
    ) -> list[Ranking]:
        """`rank` for each lot. The lots of one category are ranked together, each step
        one array operation over all their pairs (the all-pairs entry point of
        bench/matching.py); `rank` is this with one lot."""
        out: list[Ranking | None] = [None] * len(supplies)
        kinds: dict[tuple[str, bool], list[int]] = {}
        for i, s in enumerate(supplies):
            kinds.setdefault((s.code.category, s.code.hazardous), []).append(i)
        for (category, hazardous), members in kinds.items():
            lots = _Lots(self, [supplies[i] for i in members], category, hazardous)
            for i, ranking in zip(members, self._rank_kind(lots, settings, today, k), strict=True):
                out[i] = ranking
        return out

    def _rank_kind(self, lots: "_Lots", settings: Settings, today, k: int) -> list[Ranking]:
        """Lots of one category and kind, in chunks of about CHUNK_PAIRS pairs."""
        numbers, radius = self.group_arrays.get(lots.category, NO_GROUPS)
        reach = tree_reach(radius, settings.road_factor)
        lo, hi, lot_of = strips.query_bounds_many(numbers, reach, lots.lat, lots.lon, lots.cos)
        start = np.searchsorted(self.e_key, lo, side="left")
        length = np.maximum(np.searchsorted(self.e_key, hi, side="right") - start, 0)
        per_lot = np.cumsum(np.bincount(lot_of, weights=length, minlength=len(lots)))
        rankings, a = [], 0
        while a < len(lots):
            done = per_lot[a - 1] if a else 0.0
            b = max(a + 1, int(np.searchsorted(per_lot, done + CHUNK_PAIRS, side="right")))
            r0, r1 = np.searchsorted(lot_of, [a, b])
            pairs = _Pairs.of(start[r0:r1], length[r0:r1], lot_of[r0:r1] - a)
            part = lots if (a, b) == (0, len(lots)) else lots.part(a, b)
            rankings += self._rank_chunk(part, pairs, settings, today, k)
            a = b
        return rankings

    def _rank_chunk(self, lots: "_Lots", p: "_Pairs", settings: Settings, today, k: int):
        """Rank each lot's live recyclers within their own radius; count everyone else."""
        rf = settings.road_factor
        inner, outer = self._chord_limits(rf)
        chord2 = p.chord2(self, lots)
        inside = chord2 <= inner.take(p.entry)
        unsure = _nonzero(~inside & (chord2 <= outer.take(p.entry)))
        if len(unsure):  # within CHORD_MARGIN_KM of the radius: decide as the plain path
            near = p.entry[unsure]
            km = self._road_km(near, lots, p.lot[unsure], rf)
            inside[unsure] = km <= self.e_radius.take(near)
        outside = ~inside
        if self.n_alive < len(self.ids):  # some rows retired: look them up
            alive = self.alive.take(self.e_row.take(p.entry))
            inside &= alive
            outside &= alive
        missed = self._near_misses(p.entry[outside], p.lot[outside], lots)
        keep = _nonzero(inside)
        entry, lot, chord2 = p.entry[keep], p.lot[keep], chord2[keep]
        first = self._day_filters(today, lots.hazardous).take(entry)
        if lots.hazardous:  # only the exact licensed code fits
            level = self._entry_level(entry, lot, lots)
            first[np.isnan(level)] = FILTER_NUMBER[Filter.CODE]
        first[self.post["enterprise"].take(entry) == lots.at(lots.enterprise, lot)] = 0
        n = len(lots)
        key = first + 1 if n == 1 else lot * 8 + (first + 1)
        counts = np.bincount(key, minlength=8 * n).reshape(n, 8).tolist()
        examples = self._examples(entry, lot, first, n)
        ok = _nonzero(first < 0)
        entry, lot, chord2 = entry[ok], lot[ok], chord2[ok]
        # Every entry has a code of the lot's category: a non-hazardous lot's level is
        # never NaN, so it is needed only for the eligible.
        level = level[ok] if lots.hazardous else self._entry_level(entry, lot, lots)
        matches = self._top(entry, lot, level, chord2, lots, settings, k)
        own, own_fit = self._own(lots)
        codes = lots.code.tolist()
        rankings = []
        for j, supply in enumerate(lots.supplies):
            c = counts[j]
            excluded = {name: c[i + 1] for i, name in enumerate(Filter) if c[i + 1]}
            within = Ranking(matches[j], excluded, examples[j], sum(c), c[0])
            if supply.code.hazardous:
                fit = self.rows_licensed.get(codes[j], 0)
            else:
                fit = self.rows_in_cat.get(lots.category, 0)
            ids = self.ids[own[j]]
            rankings.append(whole_market(within, self.n_alive, ids, fit - own_fit[j], missed[j]))
        return rankings

    def _road_km(self, entries, lots: "_Lots", lot, road_factor: float) -> np.ndarray:
        """Road km from lots to entries (pairwise) exactly as the plain path computes
        them: market.geo.haversine_km on the same degrees, in whole metres. Called only
        for the few pairs scored exactly or within CHORD_MARGIN_KM of a radius, so the
        two paths agree to the last bit, even a distance on a half metre."""
        rows = self.e_row.take(entries)
        lat, lon = self.coords[rows, 0].tolist(), self.coords[rows, 1].tolist()
        if len(lots) == 1:
            lat0, lon0 = [lots.supplies[0].lat] * len(lat), [lots.supplies[0].lon] * len(lat)
        else:
            lat0, lon0 = lots.lat[lot].tolist(), lots.lon[lot].tolist()
        km = np.fromiter(map(haversine_km, lat0, lon0, lat, lon), np.float64, len(lat))
        return whole_metres_km(km * road_factor)

    def _examples(self, entry, lot, first, n: int) -> list[dict]:
        """Per lot, the lowest ids (EXAMPLES of them) each filter after the enterprise
        removed: one sort of (lot, filter, id rank) for the chunk."""
        fail = _nonzero(first > 0)
        group = first[fail].astype(np.int64) if n == 1 else lot[fail] * 8 + first[fail]
        key = group << 32 | self.post["rank"].take(entry[fail])
        key.sort()
        key = key[first_of_each(key >> 32, EXAMPLES, 8 * n)]
        ids = self.ids.take(self.rows_by_id.take(key & 0xFFFFFFFF)).tolist()
        out: list[dict] = [{} for _ in range(n)]
        for g, i in zip((key >> 32).tolist(), ids, strict=True):
            out[g >> 3].setdefault(FILTERS[g & 7], []).append(i)
        return out

    def _top(self, entry, lot, level, chord2, lots: "_Lots", settings: Settings, k: int):
        """Per lot, the best k of its eligible entries, in the order of scoring.top_k.

        Only a pool is scored exactly. A bound on each entry's score (its distance part
        from the chord, which is never longer than the arc) keeps every entry that could
        reach the k-th best exact score of the k entries of its lot with the best bounds;
        the rest score below that, so below the lot's k-th best."""
        n = len(lots)
        if k <= 0 or not len(entry):
            return [[] for _ in range(n)]
        w = settings.weights.as_tuple()
        radius = self.e_radius.take(entry)
        values = np.array([settings.grade_value(g) for g in GRADES])
        credit = values.take(self.post["grade"].take(entry))
        quantity = lots.at(lots.quantity, lot)  # at least 1
        # eligible: remaining > 0, so only the upper clip applies
        capacity = np.minimum(self.post["remaining"].take(entry) / quantity, 1.0)
        parts = (entry, lot, level, capacity, credit, radius)
        size = np.bincount(lot, minlength=n)
        starts = np.cumsum(size) - size
        many = _nonzero(size > 4 * k) if w[1] >= 0 else np.empty(0, np.int64)
        pool = np.ones(len(entry), bool)
        if len(many):
            km_low = np.sqrt(chord2) * (settings.road_factor * strips.EARTH_KM * (1 - 1e-9))
            km_low -= 0.001
            with np.errstate(divide="ignore", invalid="ignore"):  # fmin: NaN gives 1
                distance = np.fmin(1.0 - km_low / radius, 1.0)  # >= 0: km_low < km <= radius
            bound = w[0] * level + w[2] * capacity + w[3] * credit + w[1] * distance
            best = np.concatenate(
                [np.argpartition(-bound[a : a + m], k - 1)[:k] + a
                 for a, m in zip(starts[many].tolist(), size[many].tolist(), strict=True)]
            )  # fmt: skip
            exact = self._scores(best, parts, lots, settings)[0]
            cut = np.full(n, -np.inf)
            cut[many] = np.minimum.reduceat(exact, np.arange(0, len(best), k))
            pool = bound >= lots.at(cut, lot) - 2e-9
        pool = _nonzero(pool)
        total, km, distance = self._scores(pool, parts, lots, settings)
        rank = self.post["rank"].take(entry[pool])
        order = np.lexsort((rank, km, -total, lot[pool]))
        order = order[lots.first_of_each(lot[pool][order], k)]
        ids = self.ids.take(self.rows_by_id.take(rank[order])).tolist()
        grade = self.post["grade"].take(entry[pool[order]]).tolist()
        out: list[list[Match]] = [[] for _ in range(n)]
        for r, i, g in zip(order.tolist(), ids, grade, strict=True):
            x = pool[r]
            out[lot[x]].append(
                Match(
                    id=i,
                    score=float(total[r]),
                    code=float(level[x]),
                    distance_km=float(km[r]),
                    distance=float(distance[r]),
                    capacity=float(capacity[x]),
                    credit=float(credit[x]),
                    grade=GRADES[g],
                )
            )
        return out

    def _scores(self, which, parts, lots: "_Lots", settings: Settings):
        """Exact scores of these pairs (added as scoring.scores adds them), road km and
        distance parts."""
        entry, lot, level, capacity, credit, radius = parts
        km = self._road_km(entry[which], lots, lot[which], settings.road_factor)
        w = settings.weights.as_tuple()
        with np.errstate(divide="ignore", invalid="ignore"):
            distance = np.clip(1.0 - km / radius[which], 0.0, 1.0)
        total = rounded_score(
            w[0] * level[which] + w[1] * distance + w[2] * capacity[which] + w[3] * credit[which]
        )
        return total, km, distance

    def _near_misses(self, entries, lot, lots: "_Lots") -> list[list[int]]:
        """Per lot, a few recyclers the search returned that fit the lot but whose own
        radius is short of it: examples for "outside the radius" (the count is exact
        regardless). Each lot looks at the postings of its first few such entries."""
        n, limit = len(lots), 16 * EXAMPLES
        out: list[list[int]] = [[] for _ in range(n)]
        if not len(entries):
            return out
        first = lots.first_of_each(lot, limit)
        entries, lot = entries[first], lot[first]
        postings, _ = self._postings_of(entries)
        lot = np.repeat(lot, self.e_count.take(entries))
        first = lots.first_of_each(lot, limit)
        postings, lot = postings[first], lot[first]
        fits = ~np.isnan(self._code_level(postings, lot, lots))
        rows, lot = self.p_row[postings[fits]], lot[fits]
        other = self.enterprise.take(rows) != lots.at(lots.enterprise, lot)
        key = np.unique(lot[other] << 32 | self.id_rank.take(rows[other]))
        key = key[first_of_each(key >> 32, EXAMPLES, n)]
        ids = self.ids.take(self.rows_by_id.take(key & 0xFFFFFFFF)).tolist()
        for g, i in zip((key >> 32).tolist(), ids, strict=True):
            out[g].append(i)
        return out

    def _own(self, lots: "_Lots") -> tuple[list[np.ndarray], list[int]]:
        """Per lot, the live rows of its enterprise (any category, any distance) and how
        many of them have a code that fits the lot."""
        lo = np.searchsorted(self.ent_sorted, lots.enterprise, side="left")
        count = np.searchsorted(self.ent_sorted, lots.enterprise, side="right") - lo
        if not count.any():  # most lots' enterprises post no demand
            return [np.empty(0, np.int64)] * len(lots), [0] * len(lots)
        offsets = np.cumsum(count) - count
        rows = self.ent_order.take(np.repeat(lo - offsets, count) + np.arange(int(count.sum())))
        lot = np.repeat(np.arange(len(lots)), count)
        live = self.alive.take(rows)
        rows, lot = rows[live], lot[live]
        size = self.row_start[rows + 1] - self.row_start[rows]
        offsets = np.cumsum(size) - size
        each = np.repeat(self.row_start[rows] - offsets, size) + np.arange(int(size.sum()))
        postings = self.row_posts.take(each)
        post_lot = np.repeat(lot, size)
        if lots.hazardous:
            fits = (self.p_code.take(postings) == lots.code[post_lot]) & self.p_licensed.take(
                postings
            )
        else:
            fits = self.p_cat.take(postings) == lots.category
        fit_rows = np.repeat(np.arange(len(rows)), size)[fits]
        own_fit = np.bincount(lot[np.unique(fit_rows)], minlength=len(lots)).tolist()
        ends = np.cumsum(np.bincount(lot, minlength=len(lots))).tolist()
        return [rows[a:b] for a, b in zip([0] + ends[:-1], ends, strict=True)], own_fit

    def _entry_level(self, entries, lot, lots: "_Lots") -> np.ndarray:
        """The best code level of each entry's postings for its lot (NaN: none fits),
        from its table row; an entry with more than WIDTH codes is a reduction over its
        run."""
        code = lots.at(lots.code, lot)
        if lots.hazardous:
            # Hazardous: only the exact code, and only if the licence covers it.
            level = np.where(self._holds("lic", entries, code), LEVEL["exact"], np.nan)
        else:
            level = np.full(len(entries), LEVEL["category"])
            sub = lots.at(lots.sub, lot)
            level[self._holds("sub", entries, sub) & (sub >= 0)] = LEVEL["subcategory"]
            level[self._holds("code", entries, code)] = LEVEL["exact"]
        many = _nonzero(self.e_count.take(entries) > WIDTH)
        if len(many):
            postings, offsets = self._postings_of(entries[many])
            post_lot = np.repeat(lot[many], self.e_count.take(entries[many]))
            each = self._code_level(postings, post_lot, lots)
            best = np.maximum.reduceat(np.where(np.isnan(each), -1.0, each), offsets)
            level[many] = np.where(best < 0, np.nan, best)
        return level

    def _code_level(self, postings: np.ndarray, lot, lots: "_Lots") -> np.ndarray:
        """The code level of each posting for its lot (NaN: it does not fit)."""
        exact = self.p_code.take(postings) == lots.at(lots.code, lot)
        if lots.hazardous:
            # Hazardous: only the exact code, and only if the licence covers it.
            return np.where(exact & self.p_licensed.take(postings), LEVEL["exact"], np.nan)
        sub = lots.at(lots.sub, lot)
        same_sub = (self.p_sub.take(postings) == sub) & (sub >= 0)
        return np.where(
            exact, LEVEL["exact"], np.where(same_sub, LEVEL["subcategory"], LEVEL["category"])
        )


def _nonzero(mask: np.ndarray) -> np.ndarray:
    return mask.nonzero()[0]


def first_of_each(group: np.ndarray, limit: int, groups: int) -> np.ndarray:
    """Positions of the first `limit` items of each value of a sorted array of values in
    range(groups): two binary searches per value, whatever the array's length."""
    starts = np.searchsorted(group, np.arange(groups + 1))
    size = np.minimum(np.diff(starts), limit)
    offsets = np.cumsum(size) - size
    return np.repeat(starts[:-1] - offsets, size) + np.arange(int(size.sum()))


class _Lots:
    """Lots of one category and kind as arrays, for ranking them together."""

    def __init__(self, index: DemandIndex, supplies: list[Supply], category: str, hazardous: bool):
        self.supplies = supplies
        self.category = index.vocab.get(category)
        self.hazardous = hazardous
        n = len(supplies)
        self.lat = np.fromiter((s.lat for s in supplies), np.float64, n)
        self.lon = np.fromiter((s.lon for s in supplies), np.float64, n)
        self.cos = np.fromiter((math.cos(math.radians(s.lat)) for s in supplies), np.float64, n)
        self.lat0, self.lon0 = np.radians(self.lat), np.radians(self.lon)
        self.x = self.cos * np.cos(self.lon0)
        self.y = self.cos * np.sin(self.lon0)
        self.z = np.sin(self.lat0)
        get = index.vocab.get
        self.code = np.fromiter((get(s.code.code) for s in supplies), np.int32, n)
        self.sub = np.fromiter((get(s.code.subcategory) for s in supplies), np.int32, n)
        self.enterprise = np.fromiter((s.enterprise_id for s in supplies), np.int64, n)
        self.quantity = np.fromiter((max(s.quantity_kg, 1) for s in supplies), np.int64, n)

    def __len__(self) -> int:
        return len(self.supplies)

    def first_of_each(self, lot: np.ndarray, limit: int):
        """first_of_each of pairs sorted by lot; a slice for one lot."""
        n = len(self.supplies)
        return slice(0, limit) if n == 1 else first_of_each(lot, limit, n)

    def at(self, values: np.ndarray, lot: np.ndarray):
        """values (one per lot) for each pair; one lot's value as a scalar."""
        return values[0] if len(self.supplies) == 1 else values.take(lot)

    def part(self, a: int, b: int) -> "_Lots":
        new = copy.copy(self)
        for name, value in vars(self).items():
            setattr(new, name, value[a:b] if isinstance(value, np.ndarray | list) else value)
        return new


@dataclass
class _Pairs:
    """(lot, entry) pairs of a chunk: each lot's entries in key order, lot after lot."""

    lot: np.ndarray
    entry: np.ndarray

    @classmethod
    def of(cls, start: np.ndarray, length: np.ndarray, lot_of_range: np.ndarray) -> "_Pairs":
        total = int(length.sum())
        offset = np.repeat(start - (np.cumsum(length) - length), length)
        single = len(lot_of_range) and lot_of_range[-1] == 0
        lot = np.zeros(total, np.int64) if single else np.repeat(lot_of_range, length)
        return cls(lot, offset + np.arange(total, dtype=np.int64))

    def chord2(self, index: DemandIndex, lots: _Lots) -> np.ndarray:
        """Squared chord between each pair's unit vectors (a few multiplications where
        the haversine takes two sines and an arcsine)."""
        lot = self.lot
        dx = index.e_x.take(self.entry) - lots.at(lots.x, lot)
        dy = index.e_y.take(self.entry) - lots.at(lots.y, lot)
        dz = index.e_z.take(self.entry) - lots.at(lots.z, lot)
        dx *= dx
        dy *= dy
        dz *= dz
        dx += dy
        dx += dz
        return dx
