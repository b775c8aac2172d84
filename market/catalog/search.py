"""Fuzzy search over waste names, descriptions and aliases. Pure: no Flask, no session.

Plants type what they call a waste ("废机油", "含油抹布", "feijiyou"); the index
maps that to codes. Short names (the code's name and its aliases) weigh more than
descriptions; pinyin is matched when the query is plain Latin letters.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz, process

CODE_LIKE = re.compile(r"^(hw\d{1,2}|sw\d{1,2}|isw[\d-]*|[\d-]{3,})$", re.I)
LATIN = re.compile(r"^[a-z]+$")


def normalise(text: str) -> str:
    return re.sub(
        r"[\s·•,，。、;；:：()（）\[\]【】\"'“”]", "", unicodedata.normalize("NFKC", text or "")
    ).lower()


def pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text, errors="ignore")).lower()


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
    long: list[tuple[int, str]] = field(default_factory=list)  # (entry no, description)

    @classmethod
    def build(cls, entries: list[Entry]) -> "Index":
        index = cls(entries=list(entries))
        for no, entry in enumerate(index.entries):
            for text in {entry.name, *entry.aliases}:
                key = normalise(text)
                if key:
                    index.short.append((no, key))
                    index.short_pinyin.append((no, pinyin(key)))
            if entry.description:
                index.long.append((no, normalise(entry.description)))
        return index

    def search(self, query: str, limit: int = 10, park_id: int | None = None) -> list[Hit]:
        q = normalise(query)
        if not q:
            return []
        best: dict[int, tuple[float, str]] = {}
        if CODE_LIKE.match(q):
            self._score_codes(q, best)
        if LATIN.match(q):
            self._score_texts(q, self.short_pinyin, best, weight=1.0)
        else:
            self._score_texts(q, self.short, best, weight=1.0)
            self._score_texts(q, self.long, best, weight=0.9)
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
        for no, entry in enumerate(self.entries):
            code = entry.code.lower()
            if code == q:
                _keep(best, no, 100.0, entry.code)
            elif code.startswith(q) or entry.category_code.lower() == q:
                _keep(best, no, 92.0 - len(code) / 100, entry.code)

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
            _keep(best, no, score * 0.8 * weight, text)


def _substring_score(q: str, text: str) -> float:
    if q == text:
        return 100.0
    if q in text:
        return 85.0 + 10.0 * len(q) / len(text)
    if text in q and len(text) >= 2:
        return 70.0 + 10.0 * len(text) / len(q)
    return 0.0


def _keep(best: dict, no: int, score: float, matched: str) -> None:
    if score > best.get(no, (0.0, ""))[0]:
        best[no] = (score, matched)


def _one_per_code(hits: list[Hit]) -> list[Hit]:
    """Parks share the demo catalogue's codes; a visitor sees each code once."""
    seen: set[str] = set()
    return [h for h in hits if not (h.code in seen or seen.add(h.code))]
