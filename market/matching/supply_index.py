"""Open supply lots by category, for ranking them against one demand listing. Pure."""

import numpy as np
from sklearn.neighbors import BallTree

from market.matching.index import (
    EARTH_KM,
    LEVEL,
    NEAR_MISS,
    NO_DAY,
    LiveRows,
    Vocab,
    _radians,
)
from market.matching.scoring import Pairs, grade_index, rank
from market.matching.types import Demand, Ranking, Settings, Supply, day_number


class SupplyIndex(LiveRows):
    def __init__(self, supplies: list[Supply], vocab: Vocab | None = None):
        self.vocab = vocab or Vocab()
        n = len(supplies)
        self.ids = np.fromiter((s.id for s in supplies), np.int64, n)
        self.row_of = {int(i): r for r, i in enumerate(self.ids)}
        self.enterprise = np.fromiter((s.enterprise_id for s in supplies), np.int64, n)
        self.coords = _radians([s.lat for s in supplies], [s.lon for s in supplies]).reshape(n, 2)
        self.quantity = np.fromiter((s.quantity_kg for s in supplies), np.int64, n)
        self.grade = np.fromiter((grade_index(s.grade) for s in supplies), np.int8, n)
        self.code = np.fromiter((self.vocab(s.code.code) for s in supplies), np.int32, n)
        self.sub = np.fromiter((self.vocab(s.code.subcategory) for s in supplies), np.int32, n)
        self.hazardous = np.fromiter((s.code.hazardous for s in supplies), bool, n)
        cats = np.fromiter((self.vocab(s.code.category) for s in supplies), np.int32, n)
        self.alive = np.ones(n, bool)
        self.groups: dict[int, tuple[BallTree, np.ndarray]] = {}
        for cat in np.unique(cats):
            rows = np.flatnonzero(cats == cat)
            self.groups[int(cat)] = (BallTree(self.coords[rows], metric="haversine"), rows)

    def rank(self, demand: Demand, settings: Settings, today, k: int = 10) -> Ranking:
        rows, km = self._candidates(demand, settings.road_factor)
        live = self.alive[rows]
        rows, km = rows[live], km[live]
        level = self._code_level(rows, demand)
        day = day_number(today, 0)
        valid = demand.has_licence and (
            day_number(demand.licence_from, NO_DAY)
            <= day
            <= day_number(demand.licence_until, NO_DAY)
        )
        licence_ok = np.where(self.hazardous[rows], valid, valid or not demand.has_licence)
        n = len(rows)
        pairs = Pairs(
            ids=self.ids[rows],
            same_enterprise=self.enterprise[rows] == demand.enterprise_id,
            code=level,
            distance_km=km * settings.road_factor,
            radius_km=np.full(n, float(demand.radius_km)),
            remaining_kg=np.full(n, demand.remaining_kg, np.int64),
            quantity_kg=self.quantity[rows],
            licence_ok=licence_ok,
            grade=self.grade[rows],
        )
        return rank(pairs, settings, k)

    def _candidates(self, demand: Demand, road_factor: float):
        point = _radians([demand.lat], [demand.lon])
        reach = demand.radius_km * NEAR_MISS / road_factor / EARTH_KM
        found, dist = [], []
        for cat in {self.vocab.get(key.category) for key in demand.codes}:
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
