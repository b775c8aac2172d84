"""The manifest event hash chain: canonical content, link hashes and verification. Pure.

Each event of a manifest is a link: its sequence number (1, 2, 3, ...), its
content, the hash of the previous link (GENESIS for the first) and its own hash,
SHA-256 over the previous hash and the canonical bytes of {"seq", "content"}.
Canonical bytes are UTF-8 JSON with keys sorted by code point, no whitespace,
no escaping of non-ASCII text. Values: None, bool, int, str, lists/tuples, dicts
with str keys; Decimal as the string of its plain normalised digits ("1.50" and
"1.5" are one value); aware datetimes as UTC strings with microseconds
("2026-11-29T04:05:06.000000Z"); dates as "YYYY-MM-DD". Floats (inexact), naive
datetimes (zone unknown) and anything else are refused. `plain()` gives the JSON
tree to store, so a row read back from a JSON column hashes to the same bytes.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

GENESIS = "0" * 64


class CanonicalError(ValueError):
    """A value that has no canonical form; `path` says where it is."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path


def plain(value: Any, path: str = "$") -> Any:
    """The JSON tree of `value` in canonical form (raises CanonicalError)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)  # an IntEnum member becomes its plain value
    if isinstance(value, str):
        return _text(value, path)
    if isinstance(value, Decimal):
        return _decimal(value, path)
    if isinstance(value, datetime):
        return _instant(value, path)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {_key(k, path): plain(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, float):
        raise CanonicalError(path, "a float is inexact; use int (kg, fen) or Decimal")
    raise CanonicalError(path, f"{type(value).__name__} has no canonical form")


def _text(value: str, path: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalError(path, "text with a lone surrogate is not UTF-8") from None
    return str(value)  # a StrEnum member becomes its plain value


def _key(key: Any, path: str) -> str:
    if not isinstance(key, str):
        raise CanonicalError(path, f"keys must be text, got {key!r}")
    return _text(key, path)


def _decimal(value: Decimal, path: str) -> str:
    if not value.is_finite():
        raise CanonicalError(path, f"{value} is not a finite number")
    if value == 0:
        return "0"
    text = format(value, "f")  # not normalize(): it rounds to the context's 28 digits
    return text.rstrip("0").rstrip(".") if "." in text else text


def _instant(value: datetime, path: str) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise CanonicalError(path, "a naive datetime has no zone; store aware UTC times")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical(content: Any) -> bytes:
    """The canonical UTF-8 JSON bytes of `content`."""
    return _dump(plain(content))


def _dump(tree: Any) -> bytes:
    return json.dumps(tree, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link_hash(prev_hash: str, content: Any) -> str:
    """SHA-256 (lowercase hex) over the previous link's hash and the canonical content."""
    return _hash(prev_hash, plain(content))


def _hash(prev_hash: str, tree: Any) -> str:
    """`link_hash` of content already in plain form (`plain` is idempotent)."""
    if not _is_hash(prev_hash):
        raise ValueError(f"previous hash must be 64 lowercase hex digits, got {prev_hash!r}")
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + _dump(tree)).hexdigest()


def _is_hash(value: Any) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


@dataclass(frozen=True)
class Link:
    """One stored event as the chain sees it."""

    seq: int
    content: Any
    prev_hash: str
    hash: str


def sealed(seq: int, content: Any) -> dict:
    """What a link's hash covers besides the previous hash: its place and its content."""
    return {"seq": seq, "content": content}


def append(previous: Link | None, content: Any) -> Link:
    """The link that follows `previous` (None: the first event of a manifest)."""
    seq, prev_hash = (1, GENESIS) if previous is None else (previous.seq + 1, previous.hash)
    tree = plain(content)  # once: the stored form and the hashed bytes come from it
    return Link(seq, tree, prev_hash, _hash(prev_hash, sealed(seq, tree)))


class Problem(StrEnum):
    EDITED = "edited"  # the stored hash is not the hash of the stored content
    BROKEN_LINK = "broken_link"  # prev_hash is not the hash of the row before it
    GAP = "gap"  # sequence numbers skip: rows were deleted
    OUT_OF_ORDER = "out_of_order"  # a sequence number repeats or goes back: reordered or inserted
    UNREADABLE = "unreadable"  # the stored content has no canonical form (e.g. a float)
    HEAD = "head"  # the last hash is not the one recorded elsewhere: the tail was cut or added


@dataclass(frozen=True)
class Finding:
    seq: int | None
    problem: Problem


def verify(links: Sequence[Link], head: str | None = None) -> list[Finding]:
    """Every problem in one manifest's links, given in stored (insertion) order; [] when intact.

    `head`, if the manifest records its last hash, also catches rows cut from the end.
    """
    findings: list[Finding] = []
    prev_seq, prev_hash = 0, GENESIS
    for link in links:
        findings += _sequence(prev_seq, link.seq)
        findings += _own_hash(link)
        if link.prev_hash != prev_hash:
            findings.append(Finding(link.seq, Problem.BROKEN_LINK))
        prev_seq, prev_hash = link.seq, link.hash
    if head is not None and head != prev_hash:
        findings.append(Finding(prev_seq or None, Problem.HEAD))
    return findings


def _sequence(prev_seq: int, seq: int) -> list[Finding]:
    if seq <= prev_seq:
        return [Finding(seq, Problem.OUT_OF_ORDER)]
    if seq > prev_seq + 1:
        return [Finding(seq, Problem.GAP)]
    return []


def _own_hash(link: Link) -> list[Finding]:
    if not _is_hash(link.prev_hash):
        return [Finding(link.seq, Problem.EDITED)]
    try:
        expected = link_hash(link.prev_hash, sealed(link.seq, link.content))
    except CanonicalError:
        return [Finding(link.seq, Problem.UNREADABLE)]
    return [] if expected == link.hash else [Finding(link.seq, Problem.EDITED)]
