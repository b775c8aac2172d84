"""What follows the signatures: corrections as new versions, the recycler's consent to
exceed a deal, completing and settling a deal on its received total, the overdue flag,
and verifying every manifest's hash chain."""

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from market import clock
from market.accounts.models import User
from market.deals.models import Deal
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.inbox.services import notify
from market.manifests import chain, checks, flows, signing, weights
from market.manifests.common import (
    OPEN,
    add_version,
    all_sides,
    declared_total,
    lock_deal,
    require_party,
    tell,
)
from market.manifests.models import Manifest, ManifestEventRow
from market.manifests.states import ManifestEvent as E
from market.manifests.states import ManifestStatus as S

RECEIVED = (S.RECEIVED, S.CLOSED)
MAX_EXTRA_KG = 10_000_000  # 10,000 t beyond a deal: a slip, not a consent


# --- corrections -------------------------------------------------------------------------

# Which party may correct which field: each their own signature's data.
CORRECTABLE = {
    "generator": ("declared_kg",),
    "transporter": ("plate", "driver_name"),
    "receiver": ("received_kg", "treatment", "treatment_method"),
}


def correct_manifest(user: User, manifest_id: int, data) -> Manifest:
    """A party corrects its own signed data after the manifest closed (or was rejected):
    a new version and a chain event; earlier versions stay as they were."""
    manifest = signing.lock_manifest(manifest_id)
    sides = manifest.party_of(getattr(user, "enterprise_id", None))
    message = _("Only the parties to a manifest correct it.")
    require_party(user, manifest, sides[0] if sides else "generator", message)
    if manifest.status not in (S.CLOSED, S.REJECTED, S.RECEIVED):
        raise Conflict(_("Only a closed or rejected manifest can be corrected."))
    reason = checks.text(data.reason, "reason", _("reason"), 500)
    changes = _changes(manifest, data, sides)
    if not changes:
        raise DomainError(_("Nothing differs from the current version."), field="reason")
    values = {key: new for key, (_old, new) in changes.items()}
    values |= _recheck_discrepancy(manifest, values, reason)
    version = manifest.version + 1
    values["version"] = version
    record = {"version": version, "changes": {k: list(v) for k, v in changes.items()}}
    signing.record(manifest, E.CORRECT, user, data=record, values=values, note=reason)
    add_version(manifest, version, user, reason)
    flows.record(manifest, {key: old for key, (old, _new) in changes.items()})
    others = [e for e in all_sides(manifest) if e != user.enterprise_id]
    tell(manifest, "manifest_corrected", others, version=version)
    return manifest


def _changes(manifest: Manifest, data, sides: list[str]) -> dict:
    allowed = {name for side in sides for name in CORRECTABLE[side]}
    proposed = _proposed(manifest, data)
    changes = {}
    for name, new in proposed.items():
        old = getattr(manifest, name)
        if new == old:
            continue
        if name not in allowed:
            raise Forbidden(_("Each party corrects only what it signed."), field=name)
        changes[name] = (old, new)
    return changes


def _proposed(manifest: Manifest, data) -> dict:
    proposed = {}
    if data.declared_kg is not None:
        proposed["declared_kg"] = checks.weight(data.declared_kg, "declared_kg", _("weight"))
    if data.received_kg is not None:
        if manifest.status == S.REJECTED:
            raise Conflict(_("A rejected load has no received weight."), field="received_kg")
        proposed["received_kg"] = checks.weight(data.received_kg, "received_kg", _("weight"))
    if data.treatment is not None or data.treatment_method is not None:
        kind = data.treatment if data.treatment is not None else manifest.treatment
        method = data.treatment_method if data.treatment_method is not None else None
        proposed["treatment"], proposed["treatment_method"] = checks.treatment(kind, method)
    if data.plate is not None:
        proposed["plate"] = checks.plate(data.plate)
    if data.driver_name is not None:
        proposed["driver_name"] = checks.text(
            data.driver_name, "driver_name", _("driver's name"), 40
        )
    return proposed


def _recheck_discrepancy(manifest: Manifest, values: dict, reason: str) -> dict:
    if manifest.status == S.REJECTED:
        return {}
    declared = values.get("declared_kg", manifest.declared_kg)
    weighed = values.get("received_kg", manifest.received_kg) + (manifest.rejected_kg or 0)
    tolerance = checks.tolerance(manifest.park_id)
    discrepant = weights.discrepancy(declared, weighed, tolerance).discrepant
    if discrepant == manifest.discrepant:
        return {}
    if discrepant:
        tell(manifest, "manifest_discrepancy", (manifest.generator_id, manifest.receiver_id))
        return {"discrepant": True, "discrepancy_note": manifest.discrepancy_note or reason}
    return {"discrepant": False}


# --- deals: consent to exceed, completion and settlement ---------------------------------


def allow_excess(user: User, deal_id: int, extra_kg: int) -> Deal:
    """The recycler consents that the deal's manifests declare up to `extra_kg` more than
    the deal quantity (a total, replacing an earlier consent)."""
    deal = lock_deal(deal_id)
    if not deal.party(getattr(user, "enterprise_id", None)):
        raise NotFound(_("No such deal."))
    if user.enterprise_id != deal.recycler_id:
        raise Forbidden(_("Only the recycler may consent to receive more."))
    if deal.status != "made":
        raise Conflict(_("This deal is no longer under way."))
    if isinstance(extra_kg, bool) or not isinstance(extra_kg, int) or extra_kg < 0:
        raise DomainError(_("Enter a whole number of kilograms."), field="extra_kg")
    if extra_kg > MAX_EXTRA_KG:
        raise DomainError(_("That is far more than any deal; check the unit."), field="extra_kg")
    used = declared_total(deal.id) - deal.quantity_kg
    if extra_kg < used:
        raise Conflict(
            _("Manifests already declare %(used)s kg beyond the deal.", used=used),
            field="extra_kg",
        )
    deal.extra_allowed_kg, deal.extra_allowed_by_id = extra_kg, user.id
    _log_deal(deal, user, f"allow {extra_kg} kg beyond the deal")
    link = f"/deals/{deal.id}"
    notify(deal.generator_id, "deal_excess_allowed", link=link, deal=deal.id, kg=extra_kg)
    return deal


def _log_deal(deal: Deal, user: User, note: str) -> None:
    from market.deals.services import DEALS

    DEALS.log(deal, "allow_extra", actor=user, note=note)


def received_total(deal_id: int) -> int:
    total = db.session.scalar(
        db.select(db.func.coalesce(db.func.sum(Manifest.received_kg), 0)).where(
            Manifest.deal_id == deal_id, Manifest.status.in_(RECEIVED)
        )
    )
    return int(total)  # PostgreSQL sums a bigint column as numeric


def open_count(deal_id: int) -> int:
    return db.session.scalar(
        db.select(db.func.count(Manifest.id)).where(
            Manifest.deal_id == deal_id, Manifest.status.in_(OPEN)
        )
    )


class Tally(NamedTuple):
    """A deal's manifests at a glance, in one statement."""

    count: int  # every manifest, whatever its status
    open: int  # submitted or in transit
    received_kg: int  # on received and closed manifests


def _tally_columns():
    status = Manifest.status
    received = db.case((status.in_(RECEIVED), db.func.coalesce(Manifest.received_kg, 0)), else_=0)
    return (
        db.func.count(Manifest.id),
        db.func.coalesce(db.func.sum(db.case((status.in_(OPEN), 1), else_=0)), 0),
        db.func.coalesce(db.func.sum(received), 0),
    )


_TALLY = db.select(*_tally_columns()).where(Manifest.deal_id == db.bindparam("deal_id"))
# The deal's status and quantity with the tally (the deal is not locked: settle_deal does)
_DEAL_TALLY = (
    db.select(Deal.status, Deal.quantity_kg, *_tally_columns())
    .select_from(Deal)
    .outerjoin(Manifest, Manifest.deal_id == Deal.id)
    .where(Deal.id == db.bindparam("deal_id"))
    .group_by(Deal.id, Deal.status, Deal.quantity_kg)
)


def tally(deal_id: int) -> Tally:
    row = db.session.execute(_TALLY, {"deal_id": deal_id}).one()
    return _tally(*row)


def _tally(count, open_, received) -> Tally:
    return Tally(int(count), int(open_), int(received))  # PostgreSQL sums bigints as numeric


_WITH_PAYMENT = joinedload(Deal.payment)  # one object: the locking statement is built once


def complete_deal(user: User, deal_id: int) -> Deal:
    """The generator marks the deal complete once no manifest is open: it settles on the
    received total (capture that, release the rest, top up anything beyond)."""
    from market.deals.services import settle_locked

    # the deal, its payment and its lot (locked too: the settlement closes it) at once
    deal = lock_deal(deal_id, _WITH_PAYMENT, with_lot=True)
    if not deal.party(getattr(user, "enterprise_id", None)):
        raise NotFound(_("No such deal."))
    if user.enterprise_id != deal.generator_id:
        raise Forbidden(_("Only the generator marks the deal complete."))
    if deal.status != "made":
        raise Conflict(_("This deal is no longer under way."))
    counts = tally(deal.id)
    if counts.open:
        raise Conflict(_("A manifest of this deal is still open; it must be received first."))
    if not counts.count:
        raise Conflict(_("No waste has moved under this deal; cancel it instead."))
    return settle_locked(deal, counts.received_kg, user, lot_locked=True)


def settle_if_done(deal_id: int, user: User) -> bool:
    """After a manifest closes: settle when none is open and the deal quantity is reached.
    A gateway failure leaves the receipt signed and the deal for `complete_deal` or
    `flask deals settle`."""
    from market.deals.services import settle_deal

    status, quantity, *row = db.session.execute(_DEAL_TALLY, {"deal_id": deal_id}).one()
    counts = _tally(*row)
    if status != "made" or counts.open or counts.received_kg < quantity:
        return False
    try:
        with db.session.begin_nested():
            settle_deal(deal_id, counts.received_kg, user)
    except DomainError as exc:
        current_app.logger.warning("deal %s not settled on closing: %s", deal_id, exc.message)
        return False
    return True


# --- overdue -----------------------------------------------------------------------------


def flag_if_overdue(manifest: Manifest, today: date | None = None) -> bool:
    """Flag an in-transit manifest whose receipt is past due (a locked row); True if flagged."""
    today = today or clock.today()
    due = manifest.receipt_due_on
    if manifest.status != S.IN_TRANSIT or manifest.overdue or due is None or today <= due:
        return False
    data = {"due": due, "rule": manifest.receipt_due_rule, "today": today}
    signing.record(manifest, E.MARK_OVERDUE, None, data=data, values={"overdue": True})
    tell(manifest, "manifest_overdue", all_sides(manifest), due=due.isoformat())
    return True


def refresh_overdue(manifest_id: int) -> Manifest:
    """When a manifest is read: flag it if its receipt is past due (the view commits)."""
    manifest = db.session.get(Manifest, manifest_id)
    if manifest is None:
        raise NotFound(_("No such manifest."))
    if _late(manifest):
        flag_if_overdue(signing.lock_manifest(manifest_id))
    return manifest


def _late(manifest: Manifest) -> bool:
    due = manifest.receipt_due_on
    late = due is not None and clock.today() > due
    return manifest.status == S.IN_TRANSIT and not manifest.overdue and late


def mark_overdue(today: date | None = None) -> int:
    """For the scheduler: flag every manifest in transit past its receipt due date."""
    today = today or clock.today()
    ids = db.session.scalars(
        db.select(Manifest.id)
        .where(
            Manifest.status == S.IN_TRANSIT,
            Manifest.overdue.is_(False),
            Manifest.receipt_due_on < today,
        )
        .order_by(Manifest.id)
    ).all()
    return sum(flag_if_overdue(signing.lock_manifest(i), today) for i in ids)


# --- the hash chains ---------------------------------------------------------------------


@dataclass
class Problem:
    """A manifest whose stored events no longer match their chain."""

    manifest_id: int
    number: str
    findings: list[chain.Finding] = field(default_factory=list)

    def __str__(self) -> str:
        found = ", ".join(f"{f.problem}@{f.seq}" for f in self.findings)
        return f"{self.number} (id {self.manifest_id}): {found}"


def verify_chains(batch: int = 500) -> list[Problem]:
    """Walk every manifest's chain in stored order; one Problem per broken manifest."""
    problems, last_id = [], 0
    while True:
        manifests = db.session.scalars(
            db.select(Manifest).where(Manifest.id > last_id).order_by(Manifest.id).limit(batch)
        ).all()
        if not manifests:
            return problems
        rows = _events_of([m.id for m in manifests])
        for manifest in manifests:
            found = signing.findings(manifest, rows.get(manifest.id, []))
            if found:
                problems.append(Problem(manifest.id, manifest.number, found))
        last_id = manifests[-1].id


def _events_of(ids: list[int]) -> dict[int, list[ManifestEventRow]]:
    rows: dict[int, list[ManifestEventRow]] = {}
    for row in db.session.scalars(
        db.select(ManifestEventRow)
        .where(ManifestEventRow.manifest_id.in_(ids))
        .order_by(ManifestEventRow.id)
    ):
        rows.setdefault(row.manifest_id, []).append(row)
    return rows
