"""JSON endpoints for manifests (联单): list, read, start, sign as one's own party, cancel,
correct, the hash chain; and completing a deal. The same services as the pages."""

import json
from datetime import UTC

from flask import g, request
from flask_babel import gettext as _

from market.api import manifest_replies as replies
from market.api import manifest_schemas as schemas
from market.api.base import ID
from market.api.replies import DealReply
from market.api.trading import deal_json
from market.api.views import _add, named
from market.clock import BEIJING
from market.db import utcnow
from market.errors import DomainError, NotFound
from market.extensions import db
from market.manifests import queries, services
from market.manifests.models import Manifest

ONE = f"/manifests/<{ID}:manifest_id>"
DEAL = f"/deals/<{ID}:deal_id>"
PER_PAGE = 50


def _time(value):
    return None if value is None else value.isoformat()


def _party(enterprise) -> dict:
    return {"id": enterprise.id, "name": enterprise.name}


def manifest_json(m: Manifest) -> dict:
    plain = (
        "id number status version deal_id park_id waste_name declared_kg packaging "
        "package_count plate driver_name driver_phone received_kg rejected_kg treatment "
        "treatment_method rejection_reason rejection_goes_to alternate_receiver_id discrepant "
        "discrepancy_note overdue head_hash"
    ).split()
    times = "submitted_at picked_up_at receipt_due_on received_at closed_at".split()
    return {
        **{key: getattr(m, key) for key in plain},
        **{key: _time(getattr(m, key)) for key in times},
        "generator": _party(m.generator),
        "transporter": _party(m.transporter),
        "receiver": _party(m.receiver),
        "waste_code": m.waste_code.code,
    }


def _event_json(row) -> dict:
    return {
        "seq": row.seq,
        "event": row.event,
        "from_status": row.from_status,
        "to_status": row.to_status,
        "actor_id": row.actor_id,
        "actor_name": row.actor.name if row.actor else None,
        "at": row.at.isoformat(),
        "note": row.note,
        "data": json.loads(row.content or "{}"),
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def visible(manifest_id: int) -> Manifest:
    """The manifest if the caller is one of its parties or their park's administrator."""
    manifest = db.session.get(Manifest, manifest_id)
    if manifest is None or not queries.may_see(g.api_user, manifest):
        raise NotFound(_("No such manifest."))
    return manifest


def _aware(local, default_now: bool = True):
    """A Beijing wall-clock minute as an aware UTC time; absent: now."""
    if local is None:
        return utcnow() if default_now else None
    return local.replace(tzinfo=BEIJING).astimezone(UTC)


def list_manifests(args):
    stmt = queries.manifests_for(g.api_user, args.get("status"))
    page = db.paginate(stmt, page=args.get("page", 1), per_page=PER_PAGE, error_out=False)
    items = [manifest_json(m) for m in page.items]
    return {"page": page.page, "pages": page.pages, "total": page.total, "items": items}


def read_manifest(manifest_id: int):
    visible(manifest_id)
    manifest = services.refresh_overdue(manifest_id)
    db.session.commit()
    return manifest_json(manifest)


def manifest_events(manifest_id: int):
    manifest = visible(manifest_id)
    return {
        "manifest_id": manifest.id,
        "number": manifest.number,
        "chain_ok": queries.chain_ok(manifest),
        "events": [_event_json(row) for row in queries.history(manifest)],
    }


def start(body, deal_id: int):
    header = request.headers.get("Idempotency-Key")
    if header is not None and body.get("request_key") not in (None, header):
        raise DomainError(
            _("The Idempotency-Key header and the request key differ; send one of them."),
            field="request_key",
        )
    body.setdefault("request_key", header)
    manifest = services.start_manifest(g.api_user, deal_id, services.StartInput(**body))
    if manifest.replayed:  # nothing was written: the manifest as it is now
        return manifest_json(manifest), 200, {"Idempotent-Replayed": "true"}
    return _done(manifest)


def pickup(body, manifest_id: int):
    body["picked_up_at"] = _aware(body.get("picked_up_at"))
    return _done(services.sign_pickup(g.api_user, manifest_id, services.PickupInput(**body)))


def receipt(body, manifest_id: int):
    body["received_at"] = _aware(body.get("received_at"))
    data = services.ReceiptInput(**body)
    return _done(services.sign_receipt(g.api_user, manifest_id, data), settled=True)


def reject(body, manifest_id: int):
    data = services.RejectInput(**body)
    return _done(services.reject_manifest(g.api_user, manifest_id, data), settled=True)


def cancel(body, manifest_id: int):
    return _done(services.cancel_manifest(g.api_user, manifest_id, body["reason"]))


def correct(body, manifest_id: int):
    data = services.CorrectionInput(**body)
    return _done(services.correct_manifest(g.api_user, manifest_id, data))


def complete(deal_id: int):
    deal = services.complete_deal(g.api_user, deal_id)
    db.session.commit()
    services.after_commit(deal.id)
    db.session.refresh(deal)
    return deal_json(deal, g.api_user)


def _done(manifest: Manifest, settled: bool = False) -> dict:
    """Commit the step; after a receipt or rejection charge a top-up the deal recorded."""
    db.session.commit()
    if settled:
        services.after_commit(manifest.deal_id)
    db.session.refresh(manifest)
    return manifest_json(manifest)


ONE_REPLY = (200, replies.ManifestReply)
SIGN_FAILS = (400, 401, 403, 404, 409)


def _register() -> None:
    _add(
        "/manifests",
        "GET",
        named(list_manifests, "manifests"),
        "The manifests the caller is a party to (or of the park it administers), newest "
        "first, 50 a page",
        (200, replies.ManifestPage),
        (400, 401),
        args=(schemas.ManifestArgs, "query"),
    )
    summary = "One manifest (its three parties and their park's administrators)"
    _add(ONE, "GET", read_manifest, summary, ONE_REPLY, (401, 404))
    summary = "The manifest's hash chain: each step with its hash, and whether it still holds"
    _add(f"{ONE}/events", "GET", manifest_events, summary, (200, replies.EventsReply), (401, 404))
    summary = "The generator starts and signs a manifest for one vehicle trip of the deal"
    _add(
        f"{DEAL}/manifests",
        "POST",
        named(start, "start_manifest"),
        summary,
        (201, replies.ManifestReply),
        SIGN_FAILS,
        args=(schemas.StartIn, "json"),
        alt=(
            200,
            replies.ManifestReply,
            "A start sent again with its request key: the "
            "manifest it started (header Idempotent-Replayed: true)",
        ),
    )
    steps = (
        ("pickup", pickup, schemas.PickupIn, "The named transporter signs the pickup"),
        ("receipt", receipt, schemas.ReceiptIn, "The receiver signs receipt; it closes"),
        ("reject", reject, schemas.RejectIn, "The receiver refuses the whole load"),
        ("cancel", cancel, schemas.ReasonIn, "The generator cancels before pickup"),
        ("corrections", correct, schemas.CorrectionIn, "A party corrects what it signed"),
    )
    for path, view, schema, summary in steps:
        endpoint = named(view, f"manifest_{path}")
        _add(f"{ONE}/{path}", "POST", endpoint, summary, ONE_REPLY, SIGN_FAILS, (schema, "json"))
    summary = "The generator marks the deal complete: it settles on the received total"
    _add(
        f"{DEAL}/complete",
        "POST",
        named(complete, "complete_deal"),
        summary,
        (200, DealReply),
        (401, 403, 404, 409),
    )


_register()
