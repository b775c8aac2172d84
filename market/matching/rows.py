"""What both geographic indexes share: interned code strings, rows that can be retired
copy-on-write, the rows of one enterprise, and whole-market exclusion counts. Pure."""

import copy
from abc import ABC, abstractmethod

import numpy as np

from market.matching.scoring import EXAMPLES
from market.matching.types import Filter, Ranking

EARTH_KM = 6371.0088
# The trees are asked a metre beyond the radius: distances are compared in whole metres,
# and the tree's great-circle km may differ from the plain loop's in the last bits.
REACH_MARGIN_KM = 0.001


class Vocab:
    """Strings to small integers, so code comparisons are integer array compares."""

    def __init__(self):
        self.ids: dict[str, int] = {"": -1}

    def __call__(self, text: str) -> int:
        if text not in self.ids:
            self.ids[text] = len(self.ids) - 1
        return self.ids[text]

    def get(self, text: str) -> int:
        return self.ids.get(text, -2)  # -2 matches nothing, not even "no subcategory"


def radians(lat, lon) -> np.ndarray:
    return np.radians(np.column_stack([np.asarray(lat, float), np.asarray(lon, float)]))


def tree_reach(radius_km: float, road_factor: float) -> float:
    """The great-circle reach, in radians, that holds every site within radius_km by road."""
    return (radius_km + REACH_MARGIN_KM) / road_factor / EARTH_KM


def count_keys(keys: np.ndarray) -> dict[int, int]:
    values, counts = np.unique(keys, return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts, strict=True)}


class LiveRows(ABC):
    """Rows stay in the arrays; a listing that closes or changes is retired by making a
    copy whose `alive` marks it gone. The old copy is never changed, so a ranking that
    is reading it sees one consistent snapshot however the index is updated meanwhile."""

    ids: np.ndarray
    enterprise: np.ndarray
    row_of: dict[int, int]
    alive: np.ndarray
    n_alive: int

    def __len__(self) -> int:
        return self.n_alive

    def _index_enterprises(self) -> None:
        self.ent_order = np.argsort(self.enterprise, kind="stable")
        self.ent_sorted = self.enterprise[self.ent_order]
        self.n_alive = len(self.ids)

    def without(self, listing_ids) -> "LiveRows":
        """A copy in which these listings are gone; self is left as it was."""
        rows = {self.row_of.get(int(i)) for i in listing_ids} - {None}
        rows = np.fromiter((r for r in rows if self.alive[r]), np.int64)
        new = copy.copy(self)
        new.alive = self.alive.copy()
        new.alive[rows] = False
        new.n_alive = self.n_alive - len(rows)
        new._forget(rows)
        return new

    @abstractmethod
    def _forget(self, rows: np.ndarray) -> None:
        """Subclasses take the retired rows out of their whole-market counts."""

    def own_rows(self, enterprise_id: int) -> np.ndarray:
        """Live rows of one enterprise (any category, any distance)."""
        lo = np.searchsorted(self.ent_sorted, enterprise_id, side="left")
        hi = np.searchsorted(self.ent_sorted, enterprise_id, side="right")
        rows = self.ent_order[lo:hi]
        return rows[self.alive[rows]]


def decrement(counts: dict[int, int], keys) -> dict[int, int]:
    counts = dict(counts)
    for key in keys:
        counts[int(key)] -= 1
    return counts


def whole_market(
    within: Ranking, total: int, own_ids, compatible: int, beyond: list[int] = ()
) -> Ranking:
    """Counts over every open counterpart, from a ranking of those within their radius.

    total: every live counterpart; own_ids: those of the listing's own enterprise;
    compatible: those of other enterprises with a compatible code, at any distance. What
    is compatible but not within reach is outside the radius; what is neither own nor
    compatible fails on the code. beyond: a few ids known to be outside their radius."""
    later = (Filter.CAPACITY, Filter.LICENCE, Filter.CREDIT)
    reached = within.eligible + sum(within.excluded.get(f, 0) for f in later)
    counts = {
        Filter.SAME_ENTERPRISE: len(own_ids),
        Filter.CODE: total - len(own_ids) - compatible,
        Filter.RADIUS: compatible - reached,
    }
    counts.update({f: within.excluded[f] for f in later if f in within.excluded})
    examples = dict(within.examples)
    examples[Filter.SAME_ENTERPRISE] = sorted(int(i) for i in own_ids)[:EXAMPLES]
    examples.setdefault(Filter.CODE, [])
    examples[Filter.RADIUS] = sorted(beyond)[:EXAMPLES]
    excluded = {f: counts[f] for f in Filter if counts.get(f)}
    return Ranking(
        within.matches,
        excluded,
        {f: examples.get(f, []) for f in excluded},
        total,
        within.eligible,
    )
