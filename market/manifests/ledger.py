"""Stock ledgers per enterprise, code and period: opening + in − out = closing, FIFO ageing. Pure.

Generators: in = generation filed for the period, out = closed manifests (dated by the
caller: pickup or closing). Recyclers: in = manifests received, out = utilised + disposed.
All weights are integer kilograms. Stock leaves oldest first (FIFO), so the age of the
oldest kilogram still held says how long waste has been stored.
"""

from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from market.manifests.periods import Period


class Flag(StrEnum):
    MISSING_FILING = "missing_filing"  # nothing filed for the period: generation counted as 0
    NEGATIVE_STOCK = "negative_stock"  # more left than was held: filings and manifests disagree
    HELD_TOO_LONG = "held_too_long"  # the oldest stock has been held past the storage limit
    OVER_STORAGE = "over_storage"  # the closing stock is above the storage tonnage limit


def _kg(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} must be whole non-negative kilograms: {value!r}")
    return value


@dataclass(frozen=True)
class StorageLimit:
    """Per-park limits; None switches a check off. Held "beyond" `days` means strictly longer."""

    days: int | None = None
    kg: int | None = None

    def __post_init__(self):
        for name in ("days", "kg"):
            if getattr(self, name) is not None:
                _kg(getattr(self, name), f"the storage limit in {name}")


@dataclass(frozen=True)
class Filed:
    """The generation filed for one period (its current version)."""

    period: Period
    kg: int
    filing_id: int


@dataclass(frozen=True)
class Moved:
    """A dated movement out of (or into) stock, and the row it comes from."""

    day: date
    kg: int
    row_id: int


@dataclass(frozen=True)
class Stock:
    """What both ledgers share: the stock at each end and since when its oldest part is held."""

    period: Period
    opening_kg: int
    closing_kg: int
    oldest_since: date | None  # None when nothing is held
    flags: frozenset[Flag]

    @property
    def held_days(self) -> int:
        """Days the oldest kilogram has been held at the period's end (0 when none is)."""
        return (self.period.end - self.oldest_since).days if self.oldest_since else 0


@dataclass(frozen=True)
class GeneratorRow(Stock):
    generated_kg: int
    transferred_kg: int
    filing_ids: tuple[int, ...]
    manifest_ids: tuple[int, ...]

    @property
    def out_kg(self) -> int:
        return self.transferred_kg


@dataclass(frozen=True)
class RecyclerRow(Stock):
    received_kg: int
    utilised_kg: int
    disposed_kg: int
    manifest_ids: tuple[int, ...]
    utilised_ids: tuple[int, ...]
    disposed_ids: tuple[int, ...]

    @property
    def out_kg(self) -> int:
        return self.utilised_kg + self.disposed_kg


class _Fifo:
    """Lots oldest first; a deficit (negative stock) is covered by the next waste that comes in."""

    def __init__(self, kg: int, since: date):
        self.lots: deque[list] = deque()
        self.deficit = 0
        if kg >= 0:
            self.add(since, kg)
        else:
            self.deficit = -kg

    def add(self, since: date, kg: int) -> None:
        covered = min(kg, self.deficit)
        self.deficit -= covered
        if kg > covered:
            self.lots.append([since, kg - covered])

    def take(self, kg: int) -> None:
        while kg and self.lots:
            used = min(kg, self.lots[0][1])
            self.lots[0][1] -= used
            kg -= used
            if not self.lots[0][1]:
                self.lots.popleft()
        self.deficit += kg

    @property
    def balance(self) -> int:
        return sum(lot[1] for lot in self.lots) - self.deficit

    @property
    def oldest(self) -> date | None:
        return self.lots[0][0] if self.lots else None


def _contiguous(periods: Sequence[Period]) -> tuple[Period, ...]:
    periods = tuple(periods)
    for before, after in zip(periods, periods[1:], strict=False):
        if before.next() != after:
            raise ValueError(f"ledger periods must follow each other: {before} then {after}")
    return periods


def _buckets(periods: tuple[Period, ...], moved: Iterable[Moved], what: str) -> list[list[Moved]]:
    """Movements per period, in date order; one outside the periods is refused."""
    starts = [period.start for period in periods]
    buckets: list[list[Moved]] = [[] for _ in periods]
    for move in sorted(moved, key=lambda move: (move.day, move.row_id)):
        _kg(move.kg, what)
        index = bisect_right(starts, move.day) - 1
        if index < 0 or move.day > periods[-1].end:
            raise ValueError(f"{what} {move.row_id} on {move.day} is outside the ledger's periods")
        buckets[index].append(move)
    return buckets


def _filings(periods: tuple[Period, ...], filed: Iterable[Filed]) -> dict[Period, Filed]:
    known = set(periods)
    found: dict[Period, Filed] = {}
    for filing in filed:
        _kg(filing.kg, "generation")
        if filing.period not in known:
            raise ValueError(f"filing {filing.filing_id} is for {filing.period}, not in the ledger")
        if filing.period in found:
            raise ValueError(f"two filings for {filing.period}: pass the current version only")
        found[filing.period] = filing
    return found


def _flags(period: Period, fifo: _Fifo, limit: StorageLimit) -> set[Flag]:
    flags = set()
    if fifo.balance < 0:
        flags.add(Flag.NEGATIVE_STOCK)
    if limit.kg is not None and fifo.balance > limit.kg:
        flags.add(Flag.OVER_STORAGE)
    if limit.days is not None and fifo.oldest and (period.end - fifo.oldest).days > limit.days:
        flags.add(Flag.HELD_TOO_LONG)
    return flags


def _start(periods: tuple[Period, ...], opening_kg: int, since: date | None) -> _Fifo:
    if not isinstance(opening_kg, int) or isinstance(opening_kg, bool):
        raise ValueError(f"the opening stock must be whole kilograms: {opening_kg!r}")
    since = since or (periods[0].start if periods else date.min)
    if periods and since > periods[0].start:
        raise ValueError("the opening stock cannot be younger than the first period")
    return _Fifo(opening_kg, since)


def _total(moves: list[Moved]) -> int:
    return sum(move.kg for move in moves)


def _ids(moves: list[Moved]) -> tuple[int, ...]:
    return tuple(move.row_id for move in moves)


def generator_ledger(
    periods: Sequence[Period],
    filed: Iterable[Filed],
    shipped: Iterable[Moved],
    opening_kg: int = 0,
    opening_since: date | None = None,
    limit: StorageLimit = StorageLimit(),
) -> tuple[GeneratorRow, ...]:
    """One row per period. A period's generation counts from its first day (the earliest it
    may have been made, so ageing errs toward a warning); it comes in before that period's
    shipments go out.

    :param opening_since: when the opening stock was made; by default the first period's start.
    """
    periods = _contiguous(periods)
    fifo = _start(periods, opening_kg, opening_since)
    filings = _filings(periods, filed)
    rows = []
    for period, out in zip(periods, _buckets(periods, shipped, "manifest"), strict=True):
        opening, filing = fifo.balance, filings.get(period)
        fifo.add(period.start, filing.kg if filing else 0)
        fifo.take(_total(out))
        flags = _flags(period, fifo, limit) | (set() if filing else {Flag.MISSING_FILING})
        rows.append(
            GeneratorRow(
                period, opening, fifo.balance, fifo.oldest, frozenset(flags),
                generated_kg=filing.kg if filing else 0,
                transferred_kg=_total(out),
                filing_ids=(filing.filing_id,) if filing else (),
                manifest_ids=_ids(out),
            )
        )  # fmt: skip
    return tuple(rows)


def recycler_ledger(
    periods: Sequence[Period],
    received: Iterable[Moved],
    utilised: Iterable[Moved],
    disposed: Iterable[Moved],
    opening_kg: int = 0,
    opening_since: date | None = None,
    limit: StorageLimit = StorageLimit(),
) -> tuple[RecyclerRow, ...]:
    """One row per period; waste ages from the day it was received."""
    periods = _contiguous(periods)
    fifo = _start(periods, opening_kg, opening_since)
    columns = zip(
        periods,
        _buckets(periods, received, "manifest"),
        _buckets(periods, utilised, "utilisation"),
        _buckets(periods, disposed, "disposal"),
        strict=True,
    )
    rows = []
    for period, came, used, gone in columns:
        opening = fifo.balance
        for move in came:
            fifo.add(move.day, move.kg)
        fifo.take(_total(used) + _total(gone))
        flags = frozenset(_flags(period, fifo, limit))
        rows.append(
            RecyclerRow(
                period, opening, fifo.balance, fifo.oldest, flags,
                received_kg=_total(came), utilised_kg=_total(used), disposed_kg=_total(gone),
                manifest_ids=_ids(came), utilised_ids=_ids(used), disposed_ids=_ids(gone),
            )
        )  # fmt: skip
    return tuple(rows)
