"""Hard filters and the weighted score over arrays of candidate pairs. Pure numpy."""

from dataclasses import dataclass

import numpy as np

from market.matching.types import Filter, Match, Ranking, Settings

GRADES = ("A", "B", "C", "D", None)
GRADE_D = 3
EXAMPLES = 5
SCORE_DIGITS = 9  # scores equal to 1e-9 are ties, decided by the tie rule


def whole_metres_km(km):
    """Road km rounded to the whole metre: the one distance both paths compare and show.
    Two ways of computing a great-circle distance differ in the last bits (300.99999999999966
    vs 301.00000000000045 km); on whole metres they agree, so a recycler exactly on its
    radius is inside it for the index and the plain loop alike."""
    return np.rint(np.asarray(km, np.float64) * 1000.0) / 1000.0


def rounded_score(total):
    """Scores equal in exact arithmetic can differ by ~1e-15; rounded, they tie."""
    return np.round(np.asarray(total, np.float64), SCORE_DIGITS)


def grade_index(grade: str | None) -> int:
    return GRADES.index(grade if grade in GRADES else None)


@dataclass
class Pairs:
    """One row per candidate counterpart of the listing being matched."""

    ids: np.ndarray  # counterpart listing ids
    same_enterprise: np.ndarray  # bool
    code: np.ndarray  # code part in [0, 1]; NaN when no compatible code
    distance_km: np.ndarray  # road km (great-circle × road factor), whole metres
    radius_km: np.ndarray  # the recycler's service radius for each pair
    remaining_kg: np.ndarray  # the recycler's remaining capacity
    quantity_kg: np.ndarray  # the lot's quantity
    licence_ok: np.ndarray  # bool: a licence valid on the day where one is needed
    grade: np.ndarray  # counterpart's grade index into GRADES


def failing_filter(p: Pairs) -> np.ndarray:
    """Index into Filter order of the first hard filter each pair fails; -1 = passes."""
    checks = (
        p.same_enterprise,
        np.isnan(p.code),
        p.distance_km > p.radius_km,
        p.remaining_kg <= 0,
        ~p.licence_ok,
        p.grade == GRADE_D,
    )
    first = np.full(len(p.ids), -1, dtype=np.int8)
    for i in range(len(checks) - 1, -1, -1):
        first[checks[i]] = i
    return first


def scores(p: Pairs, settings: Settings) -> tuple[np.ndarray, ...]:
    """The four parts and the weighted total; monotone in each part."""
    code = np.where(np.isnan(p.code), 0.0, p.code)
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.clip(1.0 - p.distance_km / p.radius_km, 0.0, 1.0)
        capacity = np.clip(p.remaining_kg / np.maximum(p.quantity_kg, 1), 0.0, 1.0)
    table = np.array([settings.grade_value(g) for g in GRADES])
    credit = table[p.grade]
    w = settings.weights.as_tuple()
    total = rounded_score(w[0] * code + w[1] * distance + w[2] * capacity + w[3] * credit)
    return total, code, distance, capacity, credit


def rank(p: Pairs, settings: Settings, k: int) -> Ranking:
    first = failing_filter(p)
    counts = np.bincount(first.astype(np.int64) + 1, minlength=len(Filter) + 1)
    excluded, examples = {}, {}
    for i, name in enumerate(Filter):
        if counts[i + 1]:
            excluded[name] = int(counts[i + 1])
            examples[name] = lowest(p.ids[first == i])
    keep = np.flatnonzero(first == -1)
    total, code, distance, capacity, credit = scores(_subset(p, keep), settings)
    distance_km, ids = p.distance_km[keep], p.ids[keep]
    top = top_k(total, distance_km, ids, k)
    grade = p.grade[keep]
    matches = [
        Match(
            id=int(ids[r]),
            score=float(total[r]),
            code=float(code[r]),
            distance_km=float(distance_km[r]),
            distance=float(distance[r]),
            capacity=float(capacity[r]),
            credit=float(credit[r]),
            grade=GRADES[int(grade[r])],
        )
        for r in top
    ]
    return Ranking(
        matches=matches,
        excluded=excluded,
        examples=examples,
        candidates=len(p.ids),
        eligible=len(keep),
    )


def lowest(ids: np.ndarray) -> list[int]:
    if len(ids) > EXAMPLES:
        ids = np.partition(ids, EXAMPLES - 1)[:EXAMPLES]
    return [int(x) for x in np.sort(ids)]


def _subset(p: Pairs, keep: np.ndarray) -> Pairs:
    """The pairs that pass every filter: only they are scored."""
    return Pairs(**{name: _take(value, keep) for name, value in vars(p).items()})


def _take(value, keep):
    return value[keep] if isinstance(value, np.ndarray) and value.ndim else value


def top_k(total: np.ndarray, distance: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Best score first; ties by nearer, then lower id: the same order every time."""
    if len(total) > 4 * k:
        cut = np.partition(-total, k - 1)[k - 1]
        pool = np.flatnonzero(-total <= cut)
    else:
        pool = np.arange(len(total))
    order = np.lexsort((ids[pool], distance[pool], -total[pool]))
    return pool[order[:k]]
