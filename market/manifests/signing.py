"""Moving a manifest and appending the step to its hash chain, in one place.

Each event row's `content` holds the step's data (what the signer signed and saw); the
chain hashes that data together with the row's own columns (event, statuses, actor,
time, note), so an edit of any of them behind the application's back is caught.
The manifest row keeps the newest hash (`head_hash`), so a cut tail is caught too.
Callers lock the manifest row first (`lock_manifest`): two steps of one manifest are
never appended at once, so sequence numbers never collide.
"""

import json

from flask_babel import gettext as _

from market.db import utcnow
from market.errors import Conflict, NotFound
from market.extensions import db
from market.manifests import chain
from market.manifests.models import Manifest, ManifestEventRow
from market.manifests.states import MANIFEST_TRANSITIONS
from market.transitions import Lifecycle


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


def lock_manifest(manifest_id) -> Manifest:
    """The manifest, locked for this transaction (FOR UPDATE on PostgreSQL)."""
    if isinstance(manifest_id, bool) or not isinstance(manifest_id, int):
        raise NotFound(_("No such manifest."))
    row = db.session.execute(
        db.select(Manifest)
        .where(Manifest.id == manifest_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(_("No such manifest."))
    return row


def sealed_content(row: ManifestEventRow, data) -> dict:
    """What a link's hash covers: the event row's own columns and its data."""
    return {
        "event": row.event,
        "from": row.from_status,
        "to": row.to_status,
        "actor": row.actor_id,
        "at": row.at,
        "note": row.note or "",
        "data": data,
    }


def _last_link(manifest: Manifest) -> chain.Link | None:
    last = db.session.execute(
        db.select(ManifestEventRow)
        .where(ManifestEventRow.manifest_id == manifest.id)
        .order_by(ManifestEventRow.seq.desc())
        .limit(1)
    ).scalar_one_or_none()
    return None if last is None else chain.Link(last.seq, None, last.prev_hash, last.hash)


def record(manifest: Manifest, event, actor=None, data=None, note: str = "", values=None):
    """Apply `event` (a move, or a self-loop) with `values`, and append its chain link.
    Returns the event row."""
    previous = _last_link(manifest)  # before the move: the autoflush must not see a half row
    row = MANIFESTS.move(manifest, event, actor, note=note[:2000], values=values, at=utcnow())
    return _seal(manifest, row, previous, data or {})


def log(manifest: Manifest, event, actor=None, data=None, note: str = ""):
    """Append an event that moves nothing (e.g. the creation) to the chain."""
    previous = _last_link(manifest)
    row = MANIFESTS.log(manifest, event, None, manifest.status, actor, note[:2000], at=utcnow())
    return _seal(manifest, row, previous, data or {})


def _seal(manifest: Manifest, row: ManifestEventRow, previous, data) -> ManifestEventRow:
    tree = chain.plain(data)
    link = chain.append(previous, sealed_content(row, tree))
    row.seq, row.prev_hash, row.hash = link.seq, link.prev_hash, link.hash
    row.content = json.dumps(tree, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    manifest.head_hash = link.hash
    db.session.flush()
    return row


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
