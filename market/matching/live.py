"""Keeping an index current as listings open, change and close. Pure.

A large index is expensive to rebuild, so changes go to a small delta index
(rebuilt on every change) while the main one only retires the changed listings;
the main index is rebuilt when the delta grows past a share of it.

Requests rank on several threads while one of them applies changes. A ranking reads
one snapshot (main, delta), taken once: `apply` never changes an index in place but
builds the next snapshot beside the current one and swaps it in with one assignment,
so no ranking sees a listing retired from main and not yet in the delta (missing), or
in the new main and still in the old delta (twice).
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from market.matching.index import DemandIndex
from market.matching.rows import Vocab
from market.matching.scoring import EXAMPLES
from market.matching.supply_index import SupplyIndex
from market.matching.types import Filter, Ranking, Settings


@dataclass(frozen=True)
class Snapshot:
    main: object  # DemandIndex or SupplyIndex
    delta: object  # the same kind, over the listings changed since main was built
    has_delta: bool


@dataclass
class LiveIndex:
    build: Callable[[list, Vocab], object]  # DemandIndex or SupplyIndex
    items: dict[int, object] = field(default_factory=dict)  # id -> Demand/Supply, all live
    rebuild_share: float = 0.05
    min_delta: int = 2000

    def __post_init__(self):
        self.vocab = Vocab()
        self._writing = threading.Lock()
        self._delta: dict[int, object] = {}
        self.rebuilds = 0
        # enterprise id -> the ids of its live listings; each value replaced whole, never
        # changed in place, so a reader on another thread sees one set or the next
        self._owned: dict[int, frozenset[int]] = {}
        self._own(self.items.values(), set())
        main = self.build(list(self.items.values()), self.vocab)
        self.snapshot = Snapshot(main, self.build([], self.vocab), False)

    @classmethod
    def for_demand(cls, demands: list, **kw) -> "LiveIndex":
        return cls(build=DemandIndex, items={d.id: d for d in demands}, **kw)

    @classmethod
    def for_supply(cls, supplies: list, **kw) -> "LiveIndex":
        return cls(build=SupplyIndex, items={s.id: s for s in supplies}, **kw)

    def __len__(self) -> int:
        return len(self.items)

    def apply(self, upserts: list, removed_ids: list[int]) -> None:
        """Listings that opened or changed, and listings that are no longer open."""
        if not upserts and not removed_ids:
            return
        with self._writing:
            touched = [item.id for item in upserts] + list(removed_ids)
            owners = set()
            for i in removed_ids:
                gone = self.items.pop(i, None)
                if gone is not None:
                    owners.add(gone.enterprise_id)
                self._delta.pop(i, None)
            for item in upserts:
                self.items[item.id] = item
                self._delta[item.id] = item
            self._own(upserts, owners)
            if len(self._delta) > max(self.min_delta, self.rebuild_share * len(self.items)):
                self._rebuild()
                return
            main = self.snapshot.main.without(touched)
            delta = self.build(list(self._delta.values()), self.vocab)
            self.snapshot = Snapshot(main, delta, bool(self._delta))

    def owned_by(self, enterprise_id: int) -> list:
        """One enterprise's live listings (a copy: safe while another thread applies)."""
        items = self.items
        found = (items.get(i) for i in self._owned.get(enterprise_id, ()))
        return sorted((x for x in found if x is not None), key=lambda x: x.id)

    def _own(self, upserts, owners: set) -> None:
        """Brings the owner map up to date for the upserted listings' enterprises and
        `owners` (those of removed listings)."""
        added: dict[int, set[int]] = {}
        for item in upserts:
            added.setdefault(item.enterprise_id, set()).add(item.id)
        for owner in owners | added.keys():
            ids = self._owned.get(owner, frozenset()) | added.get(owner, set())
            kept = frozenset(i for i in ids if i in self.items)
            if kept:
                self._owned[owner] = kept
            else:
                self._owned.pop(owner, None)

    def rebuild(self) -> None:
        with self._writing:
            self._rebuild()

    def _rebuild(self) -> None:
        main = self.build(list(self.items.values()), self.vocab)
        self._delta = {}
        self.snapshot = Snapshot(main, self.build([], self.vocab), False)
        self.rebuilds += 1

    def rank(self, item, settings: Settings, today, k: int = 10) -> Ranking:
        snap = self.snapshot  # one read: the whole ranking uses this snapshot
        first = snap.main.rank(item, settings, today, k)
        if not snap.has_delta:
            return first
        return merge(first, snap.delta.rank(item, settings, today, k), k)


def merge(a: Ranking, b: Ranking, k: int) -> Ranking:
    """Two rankings over disjoint listings as one: the same tie rule, counts summed."""
    matches = sorted(a.matches + b.matches, key=lambda m: (-m.score, m.distance_km, m.id))[:k]
    excluded: dict[Filter, int] = {}
    examples: dict[Filter, list[int]] = {}
    for name in Filter:
        n = a.excluded.get(name, 0) + b.excluded.get(name, 0)
        if n:
            excluded[name] = n
            both = a.examples.get(name, []) + b.examples.get(name, [])
            examples[name] = sorted(both)[:EXAMPLES]
    return Ranking(
        matches, excluded, examples, a.candidates + b.candidates, a.eligible + b.eligible
    )
