"""Fuzzy search over waste names, descriptions and aliases. Pure: no Flask, no session.

Plants type what they call a waste ("废机油", "廢機油", "含油抹布", "fèijīyóu", "hw8");
the index maps that to codes. Queries and indexed text are folded alike (see
`normalise`). Short names (the code's name and its aliases) weigh more than
descriptions; pinyin is matched when the query is Latin letters. A name that no alias
spells exactly is still placed by how much of it the code's words cover: 镀镍污泥 is
covered by 镀镍 and 污泥 of one electroplating code, only by 污泥 of the sludge class.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from market.catalog.normalise import (
    CODE_LIKE,
    LATIN,
    code_key,
    normalise,
    pinyin,
    plain_pinyin,
)

__all__ = ["CODE_LIKE", "Entry", "Hit", "Index", "normalise", "pinyin"]

# Everyday words that the list spells otherwise; a query is also tried with them replaced.
EVERYDAY_WORDS = {
    "酒精": "乙醇",
    "香蕉水": "天那水",
    "稀料": "稀释剂",
    "电瓶": "蓄电池",
    "氢氧化钠溶液": "碱液",
    "液碱": "碱液",
    "医用": "医疗",
    "废弃": "废",
    "废旧": "废",
    "废料": "废物",
    # oils the list names only as mineral oil (HW08 900-249-08 and kin)
    "导热油": "矿物油",
    "真空泵油": "矿物油",
    "汽轮机油": "矿物油",
    "透平油": "矿物油",
}
# The list names things without the leading 废 ("废弃CPU、显卡"); a stem is tried too.
STEM_WEIGHT = 0.9
VARIANT_WEIGHT = 0.97
DESCRIPTION_WEIGHT = 0.9
FUZZY_WEIGHT = 0.8


@dataclass(frozen=True)
class Entry:
    id: int
    code: str
    category_code: str
    name: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    park_id: int | None = None


@dataclass(frozen=True)
class Hit:
    id: int
    code: str
    score: float
    matched: str


@dataclass
class Index:
    entries: list[Entry]
    short: list[tuple[int, str]] = field(default_factory=list)  # (entry no, name/alias)
    short_pinyin: list[tuple[int, str]] = field(default_factory=list)
    names: list[tuple[int, str]] = field(default_factory=list)  # short ones that are names
    # a name's characters in sorted order → (entry no, name): the same words in another order
    anagrams: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    long: list[tuple[int, str]] = field(default_factory=list)  # (entry no, description)
    codes: list[tuple[str, str]] = field(default_factory=list)  # (code key, category key)
    # character pair → entry nos whose names/aliases (short) or descriptions (long) hold it
    short_pairs: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    long_pairs: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def build(cls, entries: list[Entry]) -> "Index":
        index = cls(entries=list(entries))
        for no, entry in enumerate(index.entries):
            index.codes.append((code_key(entry.code), code_key(entry.category_code)))
            for text in {entry.name, *entry.aliases}:
                key = normalise(text)
                if key:
                    index.short.append((no, key))
                    index.short_pinyin.append((no, pinyin(key)))
                    if text != entry.description:  # the 2021 list's names are descriptions
                        index.names.append((no, key))
                        index.anagrams["".join(sorted(key))].append((no, key))
                        _add_pairs(index.short_pairs, key, no)
            if entry.description:
                key = normalise(entry.description)
                index.long.append((no, key))
                _add_pairs(index.long_pairs, key, no)
        return index

    def search(self, query: str, limit: int = 10, park_id: int | None = None) -> list[Hit]:
        q = normalise(query)
        if not q:
            return []
        best: dict[int, tuple[float, str]] = {}
        if CODE_LIKE.match(q):
            self._score_codes(code_key(q), best)
        latin = plain_pinyin(q)
        if LATIN.match(latin):
            self._score_texts(latin, self.short_pinyin, best, weight=1.0)
        elif not CODE_LIKE.match(q):
            if q.startswith("废") and len(q) >= 3:
                self._score_texts(q[1:], self.long, best, weight=STEM_WEIGHT * DESCRIPTION_WEIGHT)
            for variant, weight in _variants(q):
                self._score_texts(variant, self.short, best, weight=weight)
                in_order = self._score_in_order(variant, best, weight=weight)
                self._score_texts(variant, self.long, best, weight=weight * DESCRIPTION_WEIGHT)
                self._score_coverage(variant, best, weight=weight, in_order=in_order)
        hits = [
            Hit(self.entries[no].id, self.entries[no].code, round(score, 2), matched)
            for no, (score, matched) in best.items()
            if self._visible(self.entries[no], park_id)
        ]
        hits.sort(key=lambda h: (-h.score, h.code))
        return _one_per_code(hits)[:limit]

    @staticmethod
    def _visible(entry: Entry, park_id: int | None) -> bool:
        return entry.park_id is None or park_id is None or entry.park_id == park_id

    def _score_codes(self, q: str, best: dict) -> None:
        for no, (code, category) in enumerate(self.codes):
            if code == q:
                _keep(best, no, 100.0, self.entries[no].code)
            elif code.startswith(q) or category == q:
                _keep(best, no, 92.0 - len(code) / 100, self.entries[no].code)

    def _score_texts(self, q: str, texts: list[tuple[int, str]], best: dict, weight: float):
        for no, text in texts:
            score = _substring_score(q, text)
            if score:
                _keep(best, no, score * weight, text)
        choices = [text for _, text in texts]
        for _text, score, pos in process.extract(
            q, choices, scorer=fuzz.ratio, limit=50, score_cutoff=50
        ):
            no, text = texts[pos]
            _keep(best, no, score * FUZZY_WEIGHT * weight, text)

    def _score_in_order(self, q: str, best: dict, weight: float) -> dict[int, float]:
        """A name holding the query's characters in order (电镀废液 in 电镀废槽液), or all of
        them in another order (蚀刻废液 and 废蚀刻液)."""
        scores: dict[int, float] = {}
        found = process.extract(
            q,
            [text for _, text in self.names],
            scorer=LCSseq.similarity,
            score_cutoff=max(2, math.ceil(0.6 * len(q))),
            limit=None,
        )
        for text, common, pos in found:
            no = self.names[pos][0]
            score = (75.0 * common / len(q) + 10.0 * common / len(text)) * weight
            scores[no] = max(score, scores.get(no, 0.0))
            _keep(best, no, score, text)
        for no, text in self.anagrams.get("".join(sorted(q)), ()):
            scores[no] = max(95.0 * weight, scores.get(no, 0.0))
            _keep(best, no, 95.0 * weight, text)
        return scores

    def _score_coverage(self, q: str, best: dict, weight: float, in_order: dict) -> None:
        """Score codes by the share of the query that their own words cover, pair by pair.

        Fully covered by names and aliases scores 80, by the description only 72: below an
        exact or contained name, above a short name that is merely part of the query. Rare
        pairs (磷化) count more than common ones (污泥); the closest name breaks ties.
        """
        if len(q) < 3:
            return
        n = len(self.entries)
        pairs = [q[i : i + 2] for i in range(len(q) - 1)]
        rarity = [
            math.log(
                1 + n / (1 + len(self.short_pairs.get(p, ())) + len(self.long_pairs.get(p, ())))
            )
            for p in pairs
        ]
        short = _covered(pairs, self.short_pairs)
        anywhere = _covered(pairs, self.short_pairs, self.long_pairs)
        for no, positions in anywhere.items():
            share = len(positions) / len(q)
            if share < 0.75:
                continue
            share_short = len(short.get(no, ())) / len(q)
            rare = sum(r for i, r in enumerate(rarity) if {i, i + 1} <= positions) / sum(rarity)
            score = 70.0 * share + 8.0 * share_short + 2.0 * rare + 0.05 * in_order.get(no, 0)
            _keep(best, no, score * weight, q)


def _add_pairs(pairs: dict[str, set[int]], text: str, no: int) -> None:
    for i in range(len(text) - 1):
        pairs[text[i : i + 2]].add(no)


def _covered(pairs: list[str], *tables: dict[str, set[int]]) -> dict[int, set[int]]:
    """Entry no → positions of the query that its character pairs cover."""
    covered: dict[int, set[int]] = defaultdict(set)
    for i, pair in enumerate(pairs):
        for table in tables:
            for no in table.get(pair, ()):
                covered[no].update((i, i + 1))
    return covered


def _variants(q: str) -> list[tuple[str, float]]:
    variants = [(q, 1.0)]
    for word, listed in EVERYDAY_WORDS.items():
        if word in q:
            variants.append((q.replace(word, listed), VARIANT_WEIGHT))
    return variants


def _substring_score(q: str, text: str) -> float:
    if q == text:
        return 100.0
    if q in text:
        return 85.0 + 10.0 * len(q) / len(text)
    return 0.0


def _keep(best: dict, no: int, score: float, matched: str) -> None:
    if score > best.get(no, (0.0, ""))[0]:
        best[no] = (score, matched)


def _one_per_code(hits: list[Hit]) -> list[Hit]:
    """Parks share the demo catalogue's codes; a visitor sees each code once."""
    seen: set[str] = set()
    return [h for h in hits if not (h.code in seen or seen.add(h.code))]
