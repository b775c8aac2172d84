"""Deterministic synthetic province-scale listings for bench/matching.py.

Sites sit in ~40 industrial-park clusters (gaussian spread of a few km) inside a
Shandong-sized box, plus scattered sites. Codes come from the catalogue files in
seeds/catalog with a skewed popularity (a few codes are common, most are rare).
Everything is drawn from numpy generators seeded from the size, so a size always
gives the same listings.
"""

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from market.matching.types import CodeKey, Demand, Supply

TODAY = date(2026, 11, 24)
BOX = (34.4, 38.3, 114.8, 122.7)  # lat min, lat max, lon min, lon max
PARKS = 40
IN_PARKS = 0.85  # the rest are scattered over the box
KM_PER_DEG = 111.195
RADII = (20.0, 30.0, 50.0, 80.0, 100.0, 150.0, 200.0, 300.0)
RADIUS_P = (0.14, 0.16, 0.20, 0.15, 0.13, 0.10, 0.07, 0.05)
GRADES = ("A", "B", "C", "D", None)
GRADE_P = (0.20, 0.35, 0.20, 0.03, 0.22)
HAZARDOUS = 0.30
CODES_P = (0.40, 0.30, 0.20, 0.10)  # a demand accepts 1, 2, 3 or 4 codes
SAME_CATEGORY = 0.85  # an extra accepted code stays in the first code's category
ZERO_CAPACITY = 0.08
CATALOG = Path(__file__).resolve().parent.parent / "seeds" / "catalog"


@dataclass(frozen=True)
class Kind:
    """The codes of one kind (hazardous or not), their popularity and categories."""

    keys: tuple[CodeKey, ...]
    weight: np.ndarray  # popularity, sums to 1
    category: np.ndarray  # category number of each code

    def draw(self, rng, size) -> np.ndarray:
        return rng.choice(len(self.keys), size=size, p=self.weight)

    def draw_in_category(self, rng, category: int, size) -> np.ndarray:
        members = np.flatnonzero(self.category == category)
        p = self.weight[members] / self.weight[members].sum()
        return members[rng.choice(len(members), size=size, p=p)]


@dataclass(frozen=True)
class Catalogue:
    ordinary: Kind
    hazardous: Kind


def _kind(codes: list[str], hazardous: bool, rng) -> Kind:
    keys = tuple(CodeKey.parse(c, hazardous) for c in codes)
    weight = 1.0 / np.arange(1, len(keys) + 1) ** 0.9
    weight = rng.permutation(weight / weight.sum())
    names = sorted({k.category for k in keys})
    category = np.array([names.index(k.category) for k in keys])
    return Kind(keys, weight, category)


def load_catalogue() -> Catalogue:
    rng = np.random.default_rng(2024)  # popularity does not depend on the size
    with open(CATALOG / "isw_demo_2024.csv", encoding="utf-8") as f:
        ordinary = sorted({row["code"] for row in csv.DictReader(f)})
    with open(CATALOG / "hw_codes_2021.csv", encoding="utf-8") as f:
        hazardous = sorted({row["waste_code"] for row in csv.DictReader(f)})
    return Catalogue(_kind(ordinary, False, rng), _kind(hazardous, True, rng))


@dataclass(frozen=True)
class Province:
    centre: np.ndarray  # (PARKS, 2) lat, lon
    spread_km: np.ndarray
    weight: np.ndarray

    @classmethod
    def make(cls, rng) -> "Province":
        lat = rng.uniform(BOX[0] + 0.2, BOX[1] - 0.2, PARKS)
        lon = rng.uniform(BOX[2] + 0.2, BOX[3] - 0.2, PARKS)
        weight = rng.lognormal(0.0, 0.8, PARKS)
        return cls(np.column_stack([lat, lon]), rng.uniform(2.0, 8.0, PARKS), weight / weight.sum())

    def sites(self, rng, n: int) -> tuple[np.ndarray, np.ndarray]:
        park = rng.choice(PARKS, size=n, p=self.weight)
        north = rng.normal(0.0, 1.0, n) * self.spread_km[park] / KM_PER_DEG
        lat = self.centre[park, 0] + north
        east = rng.normal(0.0, 1.0, n) * self.spread_km[park] / KM_PER_DEG
        lon = self.centre[park, 1] + east / np.cos(np.radians(lat))
        scattered = rng.random(n) >= IN_PARKS
        lat[scattered] = rng.uniform(BOX[0], BOX[1], scattered.sum())
        lon[scattered] = rng.uniform(BOX[2], BOX[3], scattered.sum())
        return np.clip(lat, BOX[0], BOX[1]), np.clip(lon, BOX[2], BOX[3])


@dataclass(frozen=True)
class World:
    """Enterprises and their sites; demands and lots are posted from these sites."""

    catalogue: Catalogue
    province: Province
    lat: np.ndarray  # site of enterprise i + 1
    lon: np.ndarray

    @classmethod
    def make(cls, n_demands: int, seed: int = 7) -> "World":
        rng = np.random.default_rng([seed, 0])
        province = Province.make(rng)
        enterprises = max(50, n_demands // 5)
        lat, lon = province.sites(np.random.default_rng([seed, n_demands, 1]), enterprises)
        return cls(load_catalogue(), province, lat, lon)


def _accepted_codes(rng, kind: Kind, n: int) -> list[list[int]]:
    """1–4 accepted codes per demand, mostly within the first code's category."""
    first = kind.draw(rng, n)
    extra = kind.draw(rng, (n, 3))
    same = rng.random((n, 3)) < SAME_CATEGORY
    for cat in np.unique(kind.category[first]):
        rows = np.flatnonzero(kind.category[first] == cat)
        extra[rows] = np.where(
            same[rows], kind.draw_in_category(rng, cat, (len(rows), 3)), extra[rows]
        )
    count = rng.choice(4, size=n, p=CODES_P) + 1
    table = np.column_stack([first, extra]).tolist()
    return [list(dict.fromkeys(row[:c])) for row, c in zip(table, count.tolist(), strict=True)]


def _licence_days(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of each licence, in days from TODAY: ~12 % expired, ~2 % not yet valid."""
    start = -rng.integers(30, 1500, n)
    end = start + rng.integers(365, 1826, n)
    end = np.maximum(end, rng.integers(1, 400, n))  # valid today …
    expired = rng.random(n) < 0.12
    end[expired] = -rng.integers(1, 365, expired.sum())  # … unless expired
    start[expired] = end[expired] - rng.integers(365, 1826, expired.sum())
    future = rng.random(n) < 0.02
    start[future] = rng.integers(1, 90, future.sum())
    end[future] = start[future] + 1095
    return start, end


def _day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


@dataclass
class DemandColumns:
    """Demand fields as plain lists, turned into Demand objects in one pass."""

    enterprise: list
    lat: list
    lon: list
    codes: list
    remaining: list
    radius: list
    licensed: list
    partial: list
    start: list
    end: list
    grade: list


def _demand_columns(world: World, n: int, seed: int) -> DemandColumns:
    rng = np.random.default_rng([seed, n, 2])
    hazardous = rng.random(n) < HAZARDOUS
    codes: list = [None] * n
    for haz, kind in ((False, world.catalogue.ordinary), (True, world.catalogue.hazardous)):
        rows = np.flatnonzero(hazardous == haz)
        for r, picked in zip(rows.tolist(), _accepted_codes(rng, kind, len(rows)), strict=True):
            codes[r] = tuple(kind.keys[i] for i in picked)
    enterprise = rng.integers(0, len(world.lat), n)
    remaining = np.round(rng.lognormal(np.log(20_000), 1.2, n)).astype(np.int64)
    remaining[rng.random(n) < ZERO_CAPACITY] = 0
    licensed = hazardous | (rng.random(n) < 0.15)
    start, end = _licence_days(rng, n)
    return DemandColumns(
        enterprise=(enterprise + 1).tolist(),
        lat=world.lat[enterprise].tolist(),
        lon=world.lon[enterprise].tolist(),
        codes=codes,
        remaining=remaining.tolist(),
        radius=rng.choice(RADII, size=n, p=RADIUS_P).tolist(),
        licensed=licensed.tolist(),
        partial=(rng.random(n) < 0.05).tolist(),  # licence misses the last code
        start=start.tolist(),
        end=end.tolist(),
        grade=[GRADES[g] for g in rng.choice(len(GRADES), size=n, p=GRADE_P).tolist()],
    )


def _demand(i: int, c: DemandColumns) -> Demand:
    codes, licensed = c.codes[i], c.licensed[i]
    covered = codes[:-1] if c.partial[i] and len(codes) > 1 else codes
    return Demand(
        id=i + 1,
        enterprise_id=c.enterprise[i],
        lat=c.lat[i],
        lon=c.lon[i],
        codes=codes,
        remaining_kg=c.remaining[i],
        radius_km=c.radius[i],
        licence_codes=frozenset(k.code for k in covered) if licensed else frozenset(),
        licence_from=_day(c.start[i]) if licensed else None,
        licence_until=_day(c.end[i]) if licensed else None,
        has_licence=licensed,
        grade=c.grade[i],
    )


def demands(world: World, n: int, seed: int = 7) -> list[Demand]:
    """n open demand listings with ids 1..n."""
    columns = _demand_columns(world, n, seed)
    return [_demand(i, columns) for i in range(n)]


def lots(world: World, n: int, seed: int = 11) -> list[Supply]:
    """n supply lots: a quarter from enterprises that also post demand, the rest from
    generators elsewhere in the parks; ~30 % hazardous."""
    rng = np.random.default_rng([seed, n, 3])
    own = rng.random(n) < 0.25
    enterprise = np.where(own, rng.integers(0, len(world.lat), n), len(world.lat) + np.arange(n))
    lat, lon = world.province.sites(rng, n)
    lat[own], lon[own] = world.lat[enterprise[own]], world.lon[enterprise[own]]
    hazardous = rng.random(n) < HAZARDOUS
    ordinary = world.catalogue.ordinary.draw(rng, n)
    dangerous = world.catalogue.hazardous.draw(rng, n)
    quantity = np.maximum(1, np.round(rng.lognormal(np.log(5_000), 1.3, n))).astype(np.int64)
    grade = rng.choice(len(GRADES), size=n, p=GRADE_P)
    rows = zip(
        (enterprise + 1).tolist(),
        lat.tolist(),
        lon.tolist(),
        hazardous.tolist(),
        ordinary.tolist(),
        dangerous.tolist(),
        quantity.tolist(),
        grade.tolist(),
        strict=True,
    )
    catalogue = world.catalogue
    return [
        Supply(
            id=i + 1,
            enterprise_id=e,
            lat=la,
            lon=lo,
            code=catalogue.hazardous.keys[d] if h else catalogue.ordinary.keys[o],
            quantity_kg=q,
            grade=GRADES[g],
        )
        for i, (e, la, lo, h, o, d, q, g) in enumerate(rows)
    ]
