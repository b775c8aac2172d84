"""Do two top-k lists agree? Used by bench/matching.py to check the index against the
baselines, lot by lot.

Scores must agree position by position to TOL. Positions whose scores are equal to
TOL form tie runs; a run must hold the same ids in both lists (in any order, since
floating-point noise below TOL may reorder equals). Only the run that reaches the
k-th place may differ in which of the tied candidates made the cut, and then every id
in one list and not the other must, by the reference rules, pass every hard filter
with a score tied to that run's score.
"""

from market.matching.reference import failing, road_km, score
from market.matching.types import Demand, Settings, Supply

TOL = 1e-9


def _runs(scores: list[float]) -> list[tuple[int, int]]:
    """[start, end) of runs of consecutive scores equal to TOL."""
    runs, start = [], 0
    for i in range(1, len(scores) + 1):
        if i == len(scores) or abs(scores[i] - scores[i - 1]) > TOL:
            runs.append((start, i))
            start = i
    return runs


def _reference_score(supply: Supply, demand: Demand, settings: Settings, today) -> float | None:
    km = road_km(supply, demand, settings)
    if failing(supply, demand, km, today) is not None:
        return None
    return score(supply, demand, km, settings).score


def _tied_extras_ok(extras, tied: float, ctx) -> bool:
    supply, by_id, settings, today = ctx
    for i in extras:
        s = _reference_score(supply, by_id[i], settings, today)
        if s is None or abs(s - tied) > TOL:
            return False
    return True


def disagreement(got, want, k: int, ctx) -> str | None:
    """None when `got` (the index) and `want` (a baseline) agree, else why not.
    ctx = (supply, demands_by_id, settings, today), to recheck tied extras."""
    if len(got) != len(want):
        return f"{len(got)} matches vs {len(want)}"
    for pos, (g, w) in enumerate(zip(got, want, strict=True)):
        if abs(g.score - w.score) > TOL:
            return f"place {pos + 1}: id {g.id} score {g.score!r} vs id {w.id} {w.score!r}"
    for start, end in _runs([w.score for w in want]):
        mine = {m.id for m in got[start:end]}
        theirs = {m.id for m in want[start:end]}
        if mine == theirs:
            continue
        at_cut = end == len(want) == k
        extras = mine ^ theirs
        if not (at_cut and _tied_extras_ok(extras, want[start].score, ctx)):
            return f"places {start + 1}-{end}: ids {sorted(mine)} vs {sorted(theirs)}"
    return None
