"""Open supply lots by category, for ranking them against one demand listing. Pure."""

import numpy as np
from sklearn.neighbors import BallTree

from market.matching.index import LEVEL, NO_DAY
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
from market.matching.scoring import Pairs, grade_index, rank, whole_metres_km
from market.matching.types import Demand, Ranking, Settings, Supply, day_number


class SupplyIndex(LiveRows):
    def __init__(self, supplies: list[Supply], vocab: Vocab | None = None):
        self.vocab = vocab or Vocab()
        n = len(supplies)
        self.ids = np.fromiter((s.id for s in supplies), np.int64, n)
        self.row_of = {int(i): r for r, i in enumerate(self.ids)}
        self.enterprise = np.fromiter((s.enterprise_id for s in supplies), np.int64, n)
        self.coords = radians([s.lat for s in supplies], [s.lon for s in supplies]).reshape(n, 2)
        self.quantity = np.fromiter((s.quantity_kg for s in supplies), np.int64, n)
        self.grade = np.fromiter((grade_index(s.grade) for s in supplies), np.int8, n)
        self.code = np.fromiter((self.vocab(s.code.code) for s in supplies), np.int32, n)
        self.sub = np.fromiter((self.vocab(s.code.subcategory) for s in supplies), np.int32, n)
        self.hazardous = np.fromiter((s.code.hazardous for s in supplies), bool, n)
        self.cat = np.fromiter((self.vocab(s.code.category) for s in supplies), np.int32, n)
        self.alive = np.ones(n, bool)
        self.groups: dict[int, tuple[BallTree, np.ndarray]] = {}
        for cat in np.unique(self.cat):
            rows = np.flatnonzero(self.cat == cat)
            self.groups[int(cat)] = (BallTree(self.coords[rows], metric="haversine"), rows)
        self._index_enterprises()
        # Whole-market counts: a non-hazardous lot fits any recycler of its category, a
        # hazardous one only a recycler licensed for its exact code.
        self.plain_in_cat = count_keys(self.cat[~self.hazardous])
        self.hazardous_of_code = count_keys(self.code[self.hazardous])

    def _forget(self, rows: np.ndarray) -> None:
        plain, hazardous = rows[~self.hazardous[rows]], rows[self.hazardous[rows]]
        self.plain_in_cat = decrement(self.plain_in_cat, self.cat[plain])
        self.hazardous_of_code = decrement(self.hazardous_of_code, self.code[hazardous])

    def rank(self, demand: Demand, settings: Settings, today, k: int = 10) -> Ranking:
        """Rank the live lots within the recycler's radius; count everyone else."""
        rows, km = self._candidates(demand, settings.road_factor)
        km = whole_metres_km(km * settings.road_factor)
        keep = np.flatnonzero((km <= demand.radius_km) & self.alive[rows])
        rows, km = rows[keep], km[keep]
        pairs = self._pairs(rows, km, demand, today)
        return self._whole_market(rank(pairs, settings, k), demand)

    def _pairs(self, rows, km, demand: Demand, today) -> Pairs:
        day = day_number(today, 0)
        valid = demand.has_licence and (
            day_number(demand.licence_from, NO_DAY)
            <= day
            <= day_number(demand.licence_until, NO_DAY)
        )
        licence_ok = np.where(self.hazardous[rows], valid, valid or not demand.has_licence)
        n = len(rows)
        return Pairs(
            ids=self.ids[rows],
            same_enterprise=self.enterprise[rows] == demand.enterprise_id,
            code=self._code_level(rows, demand),
            distance_km=km,
            radius_km=np.full(n, float(demand.radius_km)),
            remaining_kg=np.full(n, demand.remaining_kg, np.int64),
            quantity_kg=self.quantity[rows],
            licence_ok=licence_ok,
            grade=self.grade[rows],
        )

    def _categories(self, demand: Demand) -> set[int]:
        return {self.vocab.get(key.category) for key in demand.codes}

    def _whole_market(self, within: Ranking, demand: Demand) -> Ranking:
        own = self.own_rows(demand.enterprise_id)
        cats = self._categories(demand)
        own_fit = np.isin(self.cat[own], list(cats)) & ~np.isnan(self._code_level(own, demand))
        licensed = {k.code for k in demand.codes} & demand.licence_codes
        fit = sum(self.plain_in_cat.get(c, 0) for c in cats)
        fit += sum(self.hazardous_of_code.get(self.vocab.get(c), 0) for c in licensed)
        return whole_market(within, self.n_alive, self.ids[own], fit - int(own_fit.sum()))

    def _candidates(self, demand: Demand, road_factor: float):
        point = radians([demand.lat], [demand.lon])
        reach = tree_reach(demand.radius_km, road_factor)
        found, dist = [], []
        for cat in self._categories(demand):
            if cat not in self.groups:
                continue
            tree, rows = self.groups[cat]
            idx, d = tree.query_radius(point, r=reach, return_distance=True)
            found.append(rows[idx[0]])
            dist.append(d[0] * EARTH_KM)
        if not found:
            return np.empty(0, np.int64), np.empty(0)
        return np.concatenate(found), np.concatenate(dist)

    def _code_level(self, rows: np.ndarray, demand: Demand) -> np.ndarray:
        codes = np.array([self.vocab.get(k.code) for k in demand.codes], np.int32)
        subs = np.array(
            [self.vocab.get(k.subcategory) for k in demand.codes if k.subcategory], np.int32
        )
        licensed = np.array([self.vocab.get(c) for c in demand.licence_codes], np.int32)
        exact = np.isin(self.code[rows], codes)
        same_sub = np.isin(self.sub[rows], subs) & (self.sub[rows] >= 0)
        general = np.where(
            exact, LEVEL["exact"], np.where(same_sub, LEVEL["subcategory"], LEVEL["category"])
        )
        hazardous_ok = exact & np.isin(self.code[rows], licensed)
        return np.where(
            self.hazardous[rows], np.where(hazardous_ok, LEVEL["exact"], np.nan), general
        )
