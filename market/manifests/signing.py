"""Moving a manifest and appending the step to its hash chain, in one place.

Each event row's `content` holds the step's data (what the signer signed and saw); the
chain hashes that data together with the row's own columns (event, statuses, actor,
time, note), so an edit of any of them behind the application's back is caught.
The manifest row keeps the newest hash (`head_hash`), so a cut tail is caught too.
Callers lock the manifest row first (`lock_manifest`): two steps of one manifest are
never appended at once, so sequence numbers never collide.
"""

import json
from typing import NamedTuple

from flask_babel import gettext as _

from market.db import utcnow
from market.errors import Conflict, NotFound
from market.extensions import db
from market.manifests import chain
from market.manifests.models import Manifest, ManifestEventRow, ParkManifestSettings
from market.manifests.states import MANIFEST_TRANSITIONS
from market.transitions import Lifecycle

DEFAULT_TOLERANCE_PCT = 5  # domain.md §5: ±5 % unless the park sets otherwise
DEFAULT_RECEIPT_DAYS = 5  # working days to sign receipt


def _refuse(row, event, raced: bool) -> Exception:
    if raced:
        return Conflict(_("Someone else changed this manifest at the same moment; reload it."))
    return Conflict(
        _("This step is not possible now: the manifest is %(status)s.", status=status_label(row))
    )


MANIFESTS = Lifecycle(
    MANIFEST_TRANSITIONS, ManifestEventRow, "manifest_id", _refuse, stamp="updated_at"
)


def status_label(manifest: Manifest) -> str:
    labels = {
        "draft": _("a draft"),
        "submitted": _("submitted, waiting for pickup"),
        "in_transit": _("in transit"),
        "received": _("received"),
        "rejected": _("rejected"),
        "closed": _("closed"),
        "cancelled": _("cancelled"),
    }
    return labels.get(manifest.status, manifest.status)


class _Locked(NamedTuple):
    """What the locking read brought along, valid in the transaction that took the lock:
    the chain's last link and the park's rules."""

    transaction: object
    tail: chain.Link | None
    tolerance_pct: int | None  # None: not read (a manifest made in this transaction)
    receipt_working_days: int | None


_LOCKED = "_manifest_locked"  # an instance attribute, not a column


def _transaction():
    """The innermost transaction: a savepoint rolled back takes its links with it, so what
    was cached outside it is not trusted inside it, nor the other way round."""
    session = db.session()
    return session.get_nested_transaction() or session.get_transaction()


def _last_event(column):
    return (
        db.select(column)
        .where(ManifestEventRow.manifest_id == Manifest.id)
        .order_by(ManifestEventRow.seq.desc())
        .limit(1)
        .correlate(Manifest)
        .scalar_subquery()
    )


def _park_rule(column, default: int):
    value = (
        db.select(column)
        .where(ParkManifestSettings.park_id == Manifest.park_id)
        .correlate(Manifest)
        .scalar_subquery()
    )
    return db.func.coalesce(value, default)


# Built once: the hot path's most complex statement (its cache key is computed once too).
_LOCK = (
    db.select(
        Manifest,
        _last_event(ManifestEventRow.seq),
        _last_event(ManifestEventRow.hash),
        _last_event(ManifestEventRow.prev_hash),
        _park_rule(ParkManifestSettings.tolerance_pct, DEFAULT_TOLERANCE_PCT),
        _park_rule(ParkManifestSettings.receipt_working_days, DEFAULT_RECEIPT_DAYS),
    )
    .where(Manifest.id == db.bindparam("manifest_id"))
    .with_for_update(of=Manifest)
    .execution_options(populate_existing=True)
)


def lock_manifest(manifest_id) -> Manifest:
    """The manifest, locked for this transaction (FOR UPDATE on PostgreSQL). The same read
    brings the chain's last link and the park's tolerance and receipt days, kept on the row
    for this transaction (the lock keeps them current: links are appended under it)."""
    if isinstance(manifest_id, bool) or not isinstance(manifest_id, int):
        raise NotFound(_("No such manifest."))
    found = db.session.execute(_LOCK, {"manifest_id": manifest_id}).one_or_none()
    if found is None:
        raise NotFound(_("No such manifest."))
    row, seq, hash_, prev_hash, tolerance, days = found
    tail = None if seq is None else chain.Link(seq, None, prev_hash, hash_)
    setattr(row, _LOCKED, _Locked(_transaction(), tail, tolerance, days))
    return row


def locked_rules(manifest: Manifest) -> tuple[int, int] | None:
    """(tolerance %, receipt working days) read with the lock in this transaction, or None."""
    known = _known(manifest)
    if known is None or known.tolerance_pct is None:
        return None
    return known.tolerance_pct, known.receipt_working_days


def _known(manifest: Manifest) -> _Locked | None:
    known = getattr(manifest, _LOCKED, None)
    return known if known is not None and known.transaction is _transaction() else None


def sealed_content(row: ManifestEventRow, data) -> dict:
    """What a link's hash covers: the event row's own columns and its data."""
    columns = (row.event, row.from_status, row.to_status, row.actor_id, row.at, row.note)
    return _content(*columns, data)


def _content(event, source, target, actor_id, at, note, data) -> dict:
    return {
        "event": event,
        "from": source,
        "to": target,
        "actor": actor_id,
        "at": at,
        "note": note or "",
        "data": data,
    }


def _last_link(manifest: Manifest) -> chain.Link | None:
    """The chain's last link: as the lock read it (and this transaction appended since),
    else from the table."""
    known = _known(manifest)
    if known is not None:
        return known.tail
    last = db.session.execute(
        db.select(ManifestEventRow)
        .where(ManifestEventRow.manifest_id == manifest.id)
        .order_by(ManifestEventRow.seq.desc())
        .limit(1)
    ).scalar_one_or_none()
    return None if last is None else chain.Link(last.seq, None, last.prev_hash, last.hash)


def record(manifest: Manifest, event, actor=None, data=None, note: str = "", values=None):
    """Apply `event` (a move, or a self-loop) with `values`, and append its chain link; the
    new head hash goes into the move's own UPDATE. Returns the event row (unflushed)."""
    previous = _last_link(manifest)  # before the move: the autoflush must not see a half row
    at, note = utcnow(), note[:2000]
    source, target = manifest.status, MANIFESTS.target(manifest, event)
    link, columns = _link(manifest, previous, event, source, target, actor, at, note, data)
    values = {**(values or {}), "head_hash": link.hash}
    with db.session.no_autoflush:  # the UPDATE touches the manifest row only
        row = MANIFESTS.move(manifest, event, actor, note=note, values=values, **columns)
    _remember(manifest, link)
    return row


def log(manifest: Manifest, event, actor=None, data=None, note: str = ""):
    """Append an event that moves nothing to the chain (from no status to the current)."""
    previous = _last_link(manifest)
    at, note = utcnow(), note[:2000]
    status = manifest.status
    link, columns = _link(manifest, previous, event, None, status, actor, at, note, data)
    row = MANIFESTS.log(manifest, event, None, status, actor, note, **columns)
    manifest.head_hash = link.hash
    _remember(manifest, link)
    return row


def create(manifest: Manifest, event, actor=None, data=None):
    """Insert a new manifest with its first link (logged like `log`): the head hash goes
    into the manifest's own INSERT, and its empty chain is not read."""
    at = utcnow()
    link, columns = _link(manifest, None, event, None, manifest.status, actor, at, "", data)
    manifest.head_hash = link.hash
    db.session.add(manifest)
    db.session.flush()
    row = MANIFESTS.log(manifest, event, None, manifest.status, actor, "", **columns)
    setattr(manifest, _LOCKED, _Locked(_transaction(), link, None, None))
    return row


def _link(manifest, previous, event, source, target, actor, at, note, data):
    tree = chain.plain(data or {})
    actor_id = None if actor is None else actor.id
    link = chain.append(previous, _content(event, source, target, actor_id, at, note, tree))
    text = json.dumps(tree, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    columns = {"at": at, "seq": link.seq, "prev_hash": link.prev_hash, "hash": link.hash,
               "content": text}  # fmt: skip
    return link, columns


def _remember(manifest: Manifest, link: chain.Link) -> None:
    """The link just appended is the tail for the rest of this (innermost) transaction:
    after a savepoint is released or rolled back the outer one reads the table again."""
    known = _known(manifest)
    rules = (None, None) if known is None else (known.tolerance_pct, known.receipt_working_days)
    setattr(manifest, _LOCKED, _Locked(_transaction(), link, *rules))


def links_of(rows: list[ManifestEventRow]) -> list[chain.Link]:
    """The stored rows as the chain sees them (content rebuilt from columns and data)."""
    links = []
    for row in rows:
        try:
            data = json.loads(row.content or "null")
            content = sealed_content(row, data)
        except (ValueError, TypeError):
            content = {"unreadable": float("nan")}  # no canonical form: reported as unreadable
        links.append(chain.Link(row.seq, content, row.prev_hash, row.hash))
    return links


def findings(manifest: Manifest, rows: list[ManifestEventRow]) -> list[chain.Finding]:
    return chain.verify(links_of(rows), head=manifest.head_hash)
