"""Keeping an index current as listings open, change and close. Pure.

A large index is expensive to rebuild, so changes go to a small delta index
(rebuilt on every change) while the main one only marks the changed listings as
gone; the main index is rebuilt when the delta grows past a share of it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from market.matching.index import DemandIndex, Vocab
from market.matching.supply_index import SupplyIndex
from market.matching.types import Filter, Ranking, Settings


@dataclass
class LiveIndex:
    build: Callable[[list, Vocab], object]  # DemandIndex or SupplyIndex
    items: dict[int, object] = field(default_factory=dict)  # id -> Demand/Supply, all live
    rebuild_share: float = 0.05
    min_delta: int = 2000

    def __post_init__(self):
        self.vocab = Vocab()
        self.main = self.build(list(self.items.values()), self.vocab)
        self.delta: dict[int, object] = {}
        self.delta_index = self.build([], self.vocab)
        self.rebuilds = 0

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
        touched = [item.id for item in upserts] + list(removed_ids)
        self.main.drop(touched)
        for i in removed_ids:
            self.items.pop(i, None)
            self.delta.pop(i, None)
        for item in upserts:
            self.items[item.id] = item
            self.delta[item.id] = item
        if len(self.delta) > max(self.min_delta, self.rebuild_share * len(self.items)):
            self.rebuild()
        else:
            self.delta_index = self.build(list(self.delta.values()), self.vocab)

    def rebuild(self) -> None:
        self.main = self.build(list(self.items.values()), self.vocab)
        self.delta = {}
        self.delta_index = self.build([], self.vocab)
        self.rebuilds += 1

    def rank(self, item, settings: Settings, today, k: int = 10) -> Ranking:
        first = self.main.rank(item, settings, today, k)
        if not self.delta:
            return first
        return merge(first, self.delta_index.rank(item, settings, today, k), k)


def merge(a: Ranking, b: Ranking, k: int) -> Ranking:
    matches = sorted(a.matches + b.matches, key=lambda m: (-m.score, m.distance_km, m.id))[:k]
    excluded: dict[Filter, int] = {}
    examples: dict[Filter, list[int]] = {}
    for part in (a, b):
        for name, n in part.excluded.items():
            excluded[name] = excluded.get(name, 0) + n
            examples[name] = sorted(examples.get(name, []) + part.examples[name])[:5]
    return Ranking(matches, excluded, examples, a.candidates + b.candidates)
