"""The matcher written as a plain per-candidate loop. Pure.

It is the specification the vectorised index must agree with (property tests)
and baseline (a) of bench/matching.py; it is far too slow to serve requests.
"""

from datetime import date

from market.geo import haversine_km
from market.matching.index import LEVEL
from market.matching.scoring import rounded_score, whole_metres_km
from market.matching.types import Demand, Filter, Match, Ranking, Settings, Supply


def code_level(supply: Supply, demand: Demand) -> float | None:
    s = supply.code
    if s.hazardous:
        ok = any(k.code == s.code for k in demand.codes) and s.code in demand.licence_codes
        return LEVEL["exact"] if ok else None
    best = None
    for k in demand.codes:
        if k.code == s.code:
            return LEVEL["exact"]
        if s.subcategory and k.subcategory == s.subcategory:
            best = LEVEL["subcategory"]
        elif k.category == s.category and best is None:
            best = LEVEL["category"]
    return best


def licence_ok(supply: Supply, demand: Demand, today: date) -> bool:
    if not demand.has_licence:
        return not supply.code.hazardous
    return demand.licence_from <= today <= demand.licence_until


def failing(supply: Supply, demand: Demand, km: float, today: date) -> Filter | None:
    if demand.enterprise_id == supply.enterprise_id:
        return Filter.SAME_ENTERPRISE
    if code_level(supply, demand) is None:
        return Filter.CODE
    if km > demand.radius_km:
        return Filter.RADIUS
    if demand.remaining_kg <= 0:
        return Filter.CAPACITY
    if not licence_ok(supply, demand, today):
        return Filter.LICENCE
    if demand.grade == "D":
        return Filter.CREDIT
    return None


def score(supply: Supply, demand: Demand, km: float, settings: Settings) -> Match:
    w = settings.weights
    code = code_level(supply, demand)
    distance = min(1.0, max(0.0, 1.0 - km / demand.radius_km))
    capacity = min(1.0, max(0.0, demand.remaining_kg / max(supply.quantity_kg, 1)))
    credit = settings.grade_value(demand.grade)
    total = w.code * code + w.distance * distance + w.capacity * capacity + w.credit * credit
    total = float(rounded_score(total))
    return Match(
        id=demand.id,
        score=total,
        code=code,
        distance_km=km,
        distance=distance,
        capacity=capacity,
        credit=credit,
        grade=demand.grade,
    )


def road_km(supply: Supply, demand: Demand, settings: Settings) -> float:
    """Great-circle km × road factor, in whole metres (the boundary rule)."""
    km = haversine_km(supply.lat, supply.lon, demand.lat, demand.lon) * settings.road_factor
    return float(whole_metres_km(km))


def rank_demand(
    supply: Supply, demands: list[Demand], settings: Settings, today: date, k: int = 10
) -> list[Match]:
    found = []
    for demand in demands:
        km = road_km(supply, demand, settings)
        if failing(supply, demand, km, today) is None:
            found.append(score(supply, demand, km, settings))
    found.sort(key=lambda m: (-m.score, m.distance_km, m.id))
    return found[:k]


def ranking(supply: Supply, demands: list[Demand], settings: Settings, today: date, k: int = 10):
    """Like rank_demand, and also counts every demand each hard filter removes, however
    far away; for small sets such as one recycler's own listings."""
    excluded: dict[Filter, int] = {}
    examples: dict[Filter, list[int]] = {}
    for demand in demands:
        name = failing(supply, demand, road_km(supply, demand, settings), today)
        if name is not None:
            excluded[name] = excluded.get(name, 0) + 1
            examples.setdefault(name, []).append(demand.id)
    eligible = len(demands) - sum(excluded.values())
    matches = rank_demand(supply, demands, settings, today, k)
    return Ranking(matches, excluded, examples, len(demands), eligible)
