"""The manifest lifecycle: the generator starts and signs, the transporter signs pickup, the
receiver signs receipt (or rejects) and the manifest closes; every step goes through the
one transition table and onto the manifest's hash chain. Corrections, consent to exceed a
deal, completing a deal and the scheduled checks are in `market.manifests.aftercare`."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from market import clock
from market.accounts.models import Enterprise, User
from market.db import utcnow
from market.deals.models import Deal
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.listings.models import SupplyListing
from market.manifests import checks, flows, signing, weights
from market.manifests.aftercare import (
    Problem,
    allow_excess,
    complete_deal,
    correct_manifest,
    flag_if_overdue,
    mark_overdue,
    refresh_overdue,
    settle_if_done,
    verify_chains,
)
from market.manifests.checks import TREATMENT_METHODS
from market.manifests.common import add_version, declared_total, lock_deal, require_party, tell
from market.manifests.models import Manifest
from market.manifests.signing import lock_manifest
from market.manifests.states import ManifestEvent as E
from market.manifests.states import ManifestStatus as S
from market.manifests.tokens import new_verify_token

__all__ = [
    "TREATMENT_METHODS",
    "after_commit",
    "CorrectionInput",
    "PickupInput",
    "Problem",
    "ReceiptInput",
    "RejectInput",
    "StartInput",
    "allow_excess",
    "cancel_manifest",
    "complete_deal",
    "correct_manifest",
    "flag_if_overdue",
    "mark_overdue",
    "refresh_overdue",
    "reject_manifest",
    "sign_pickup",
    "sign_receipt",
    "start_manifest",
    "verify_chains",
]


@dataclass
class StartInput:  # the generator's submission (its signature)
    declared_kg: int
    transporter_id: int  # an enterprise with the transporter role, or the deal's recycler
    packaging: str = ""
    package_count: int = 0
    waste_name: str = ""  # default: the lot's local name
    # An idempotency key: a start sent again with it (a retry after a lost answer, a form
    # sent twice) answers with the manifest it started, marked `replayed`, not a second one.
    request_key: str | None = None


@dataclass
class PickupInput:  # the transporter's signature
    plate: str
    driver_name: str
    driver_phone: str
    picked_up_at: datetime  # aware; not in the future, not before submission


@dataclass
class ReceiptInput:  # the receiver's signature; then the manifest closes
    received_kg: int
    received_at: datetime
    treatment: str  # "utilise" (利用) | "dispose" (处置)
    treatment_method: str  # one of TREATMENT_METHODS[treatment]
    rejected_kg: int = 0
    rejection_reason: str = ""
    rejection_goes_to: str | None = None  # "generator" | "other"
    alternate_receiver_id: int | None = None  # when "other"
    discrepancy_note: str = ""  # required when beyond the park's tolerance


@dataclass
class RejectInput:  # the whole load refused
    reason: str
    goes_to: str  # "generator" | "other"
    alternate_receiver_id: int | None = None


@dataclass
class CorrectionInput:  # after closing (or rejection): a new version, never an edit
    reason: str
    received_kg: int | None = None
    treatment: str | None = None
    treatment_method: str | None = None
    plate: str | None = None
    driver_name: str | None = None
    declared_kg: int | None = None


# --- start -------------------------------------------------------------------------------

# What a start reads of the deal, in the one statement that locks it (the deal row only).
_START_LOADS = (
    joinedload(Deal.listing, innerjoin=True).joinedload(SupplyListing.waste_code, innerjoin=True),
    joinedload(Deal.generator, innerjoin=True).joinedload(Enterprise.park, innerjoin=True),
)


def start_manifest(user: User, deal_id: int, data: StartInput) -> Manifest:
    """The generator starts one manifest for one vehicle trip and signs it."""
    deal = lock_deal(deal_id, *_START_LOADS)
    if not deal.party(getattr(user, "enterprise_id", None)):
        raise NotFound(_("No such deal."))
    if user.enterprise_id != deal.generator_id:
        raise Forbidden(_("Only the generator of this deal starts its manifests."))
    key = checks.request_key(data.request_key)
    if key is not None:  # the deal's lock orders two tries with one key: the second sees the first
        earlier = db.session.execute(_STARTED_WITH, {"deal_id": deal.id, "key": key}).scalar()
        if earlier is not None:
            return _replay(earlier, data)
    if deal.status != "made":
        raise Conflict(_("Manifests can be started only for a deal that is under way."))
    declared = checks.weight(data.declared_kg, "declared_kg", _("declared weight"))
    transporter = _transporter(deal, data.transporter_id)
    consent = _check_allowance(deal, declared)
    manifest = _new_manifest(user, deal, data, declared, transporter.id, consent)
    manifest.start_key = key
    signing.create(manifest, E.CREATE, user)
    signing.record(manifest, E.SUBMIT, user, data=_submitted(manifest, deal))
    flows.record(manifest)
    tell(manifest, "manifest_submitted", (manifest.transporter_id, manifest.receiver_id))
    return manifest


_STARTED_WITH = db.select(Manifest).where(
    Manifest.deal_id == db.bindparam("deal_id"), Manifest.start_key == db.bindparam("key")
)


def _replay(manifest: Manifest, data: StartInput) -> Manifest:
    """The manifest an earlier start with this key made, if this start asks for the same;
    a key sent again with other values is refused (it cannot mean a second manifest)."""
    asked = {
        "declared_kg": data.declared_kg,
        "transporter_id": data.transporter_id,
        "packaging": data.packaging.strip() if isinstance(data.packaging, str) else data.packaging,
        "package_count": data.package_count,
    }
    if isinstance(data.waste_name, str) and data.waste_name.strip():
        asked["waste_name"] = data.waste_name.strip()
    if any(getattr(manifest, field) != value for field, value in asked.items()):
        raise Conflict(
            _(
                "This request already started manifest %(number)s with other values; "
                "start another manifest with a new request.",
                number=manifest.number,
            ),
            field="request_key",
        )
    manifest.replayed = True
    return manifest


def _transporter(deal, transporter_id):
    row = checks.enterprise(transporter_id, "transporter_id")
    if not row.is_transporter and row.id != deal.recycler_id:
        raise DomainError(
            _("Choose a transporter, or the receiver when it collects the waste itself."),
            field="transporter_id",
        )
    return row


def _check_allowance(deal, declared: int) -> int | None:
    total = declared_total(deal.id) + declared
    if total > deal.allowed_kg:
        raise Conflict(
            _(
                "The deal allows %(allowed)s kg and %(used)s kg are already on manifests; "
                "the recycler must consent to more first.",
                allowed=deal.allowed_kg,
                used=total - declared,
            ),
            field="declared_kg",
        )
    return deal.extra_allowed_by_id if total > deal.quantity_kg else None


def _new_manifest(user, deal, data: StartInput, declared, transporter_id, consent) -> Manifest:
    lot = deal.listing
    park = deal.generator.park
    number = checks.allocate_number(park.region_code, clock.today().year)
    manifest = Manifest(
        number=str(number),
        year=number.year,
        region_code=number.region,
        serial=number.serial,
        verify_token=new_verify_token(),
        deal_id=deal.id,
        park_id=park.id,
        generator_id=deal.generator_id,
        transporter_id=transporter_id,
        receiver_id=deal.recycler_id,
        waste_code_id=lot.waste_code_id,
        waste_name=checks.text(data.waste_name, "waste_name", _("waste name"), 80, False)
        or (lot.local_name or lot.title)[:80],
        declared_kg=declared,
        packaging=checks.text(data.packaging, "packaging", _("packaging"), 80, False),
        package_count=checks.count(data.package_count, "package_count"),
        status=S.DRAFT,
        over_deal_consent_id=consent,
        submitted_by_id=user.id,
    )
    return manifest  # inserted by signing.create, with its first link


def _submitted(manifest: Manifest, deal) -> dict:
    """What the generator signs: the waste, the weight, the packaging and the parties."""
    return {
        "number": manifest.number,
        "deal": deal.id,
        "waste_code": deal.listing.waste_code.code,
        "waste_name": manifest.waste_name,
        "declared_kg": manifest.declared_kg,
        "packaging": manifest.packaging,
        "package_count": manifest.package_count,
        "generator": manifest.generator_id,
        "transporter": manifest.transporter_id,
        "receiver": manifest.receiver_id,
        "over_deal_consent": manifest.over_deal_consent_id,
    }


def cancel_manifest(user: User, manifest_id: int, reason: str) -> Manifest:
    """The generator withdraws a manifest before pickup."""
    manifest = lock_manifest(manifest_id)
    require_party(user, manifest, "generator", _("Only the generator cancels a manifest."))
    signing.MANIFESTS.target(manifest, E.CANCEL)
    note = checks.text(reason, "reason", _("reason"), 500)
    event = signing.record(manifest, E.CANCEL, user, data={"reason": note}, note=note)
    flows.record(manifest, {"status": event.from_status})
    tell(manifest, "manifest_cancelled", (manifest.transporter_id, manifest.receiver_id))
    return manifest


# --- pickup ------------------------------------------------------------------------------


def sign_pickup(user: User, manifest_id: int, data: PickupInput) -> Manifest:
    """The transporter records the vehicle, the driver and the time, and signs."""
    manifest = lock_manifest(manifest_id)
    require_party(user, manifest, "transporter", _("Only the named transporter signs pickup."))
    signing.MANIFESTS.target(manifest, E.PICK_UP)
    values = {
        "plate": checks.plate(data.plate),
        "driver_name": checks.text(data.driver_name, "driver_name", _("driver's name"), 40),
        "driver_phone": checks.phone(data.driver_phone),
        "picked_up_at": checks.instant(
            data.picked_up_at,
            "picked_up_at",
            manifest.submitted_at,
            _("The pickup cannot be before the manifest was submitted."),
        ),
    }
    rules = signing.locked_rules(manifest) or (None, None)
    day = clock.business_day(values["picked_up_at"])
    due = checks.receipt_due(manifest.park_id, day, rules[1])
    values |= {"receipt_due_on": due.date, "receipt_due_rule": str(due.rule)}
    signed = {**values, "signed_by": user.id}
    values |= {"pickup_signed_at": utcnow(), "pickup_signed_by_id": user.id}
    signing.record(manifest, E.PICK_UP, user, data=signed, values=values)
    tell(manifest, "manifest_picked_up", (manifest.generator_id, manifest.receiver_id))
    return manifest


# --- receipt and rejection ---------------------------------------------------------------


def _destination(manifest, goes_to, alternate_id) -> tuple[str, int | None]:
    if goes_to == "generator":
        return "generator", None
    if goes_to != "other":
        raise DomainError(
            _("Say where the rejected waste goes: back to the generator or to another receiver."),
            field="rejection_goes_to",
        )
    other = checks.enterprise(alternate_id, "alternate_receiver_id")
    if not other.is_recycler or other.id == manifest.receiver_id:
        raise DomainError(
            _("The other receiver must be another licensed recycler."),
            field="alternate_receiver_id",
        )
    return "other", other.id


def _received_at(manifest, at) -> datetime:
    return checks.instant(
        at, "received_at", manifest.picked_up_at, _("The receipt cannot be before the pickup.")
    )


def _receipt_values(manifest: Manifest, data: ReceiptInput) -> dict:
    received = checks.weight(data.received_kg, "received_kg", _("received weight"))
    kind, method = checks.treatment(data.treatment, data.treatment_method)
    values = {
        "received_kg": received,
        "received_at": _received_at(manifest, data.received_at),
        "treatment": kind,
        "treatment_method": method,
        "rejected_kg": 0,
    }
    if data.rejected_kg:
        values |= _partial_rejection(manifest, data)
    return values


def _partial_rejection(manifest: Manifest, data: ReceiptInput) -> dict:
    rejected = checks.weight(data.rejected_kg, "rejected_kg", _("rejected weight"))
    reason = checks.text(data.rejection_reason, "rejection_reason", _("reason"), 500)
    goes_to, other = _destination(manifest, data.rejection_goes_to, data.alternate_receiver_id)
    return {
        "rejected_kg": rejected,
        "rejection_reason": reason,
        "rejection_goes_to": goes_to,
        "alternate_receiver_id": other,
    }


def _discrepancy(manifest: Manifest, weighed_kg: int) -> bool:
    rules = signing.locked_rules(manifest) or (None, None)
    tolerance = checks.tolerance(manifest.park_id, rules[0])
    return weights.discrepancy(manifest.declared_kg, weighed_kg, tolerance).discrepant


def sign_receipt(user: User, manifest_id: int, data: ReceiptInput) -> Manifest:
    """The receiver records the weighed weight, time and treatment, signs, and the manifest
    closes; a part may be rejected; a weight beyond the park's tolerance needs a note."""
    manifest = lock_manifest(manifest_id)
    require_party(user, manifest, "receiver", _("Only the receiver signs receipt."))
    signing.MANIFESTS.target(manifest, E.RECEIVE)
    values = _receipt_values(manifest, data)
    discrepant = _discrepancy(manifest, values["received_kg"] + values["rejected_kg"])
    note = checks.text(data.discrepancy_note, "discrepancy_note", _("note"), 2000, discrepant)
    flag_if_overdue(manifest)
    event = E.RECEIVE_PART if values["rejected_kg"] else E.RECEIVE
    values |= {"receipt_signed_at": utcnow(), "receipt_signed_by_id": user.id}
    signed = {**values, "declared_kg": manifest.declared_kg}
    signing.record(manifest, event, user, data=signed, values=values)
    if discrepant:
        _explain(manifest, user, note)
    signing.record(manifest, E.CLOSE, user, values={"closed_at": utcnow()})
    add_version(manifest, 1, user, "")
    flows.record(manifest, {"status": S.IN_TRANSIT, "received_kg": None})
    _tell_receipt(manifest)
    settle_if_done(manifest.deal_id, user)
    _check_warnings(manifest)
    return manifest


def _check_warnings(manifest: Manifest) -> None:
    """The warning rules about this receipt (weight, licence) at once, not at the next run."""
    from market.warnings.services import after_receipt

    after_receipt(manifest)


def _explain(manifest: Manifest, user: User, note: str) -> None:
    values = {"discrepant": True, "discrepancy_note": note}
    data = {"declared_kg": manifest.declared_kg, "weighed_kg": _weighed(manifest), "note": note}
    signing.record(manifest, E.EXPLAIN_DISCREPANCY, user, data=data, values=values, note=note)
    tell(manifest, "manifest_discrepancy", (manifest.generator_id, manifest.receiver_id))


def _weighed(manifest: Manifest) -> int:
    return (manifest.received_kg or 0) + (manifest.rejected_kg or 0)


def _tell_receipt(manifest: Manifest) -> None:
    sides = (manifest.generator_id, manifest.transporter_id)
    tell(manifest, "manifest_received", sides, kg=manifest.received_kg)
    if manifest.rejected_kg:
        tell(manifest, "manifest_rejected", sides, kg=manifest.rejected_kg)


def reject_manifest(user: User, manifest_id: int, data: RejectInput) -> Manifest:
    """The receiver refuses the whole load, with a reason and where it goes."""
    manifest = lock_manifest(manifest_id)
    require_party(user, manifest, "receiver", _("Only the receiver rejects a load."))
    signing.MANIFESTS.target(manifest, E.REJECT)
    reason = checks.text(data.reason, "reason", _("reason"), 500)
    goes_to, other = _destination(manifest, data.goes_to, data.alternate_receiver_id)
    flag_if_overdue(manifest)
    values = {
        "rejected_kg": manifest.declared_kg,
        "rejection_reason": reason,
        "rejection_goes_to": goes_to,
        "alternate_receiver_id": other,
        "receipt_signed_at": utcnow(),
        "receipt_signed_by_id": user.id,
    }
    signing.record(manifest, E.REJECT, user, data=values, values=values, note=reason)
    add_version(manifest, 1, user, "")
    flows.record(manifest, {"status": S.IN_TRANSIT})
    tell(
        manifest,
        "manifest_rejected",
        (manifest.generator_id, manifest.transporter_id),
        kg=manifest.rejected_kg,
    )
    settle_if_done(manifest.deal_id, user)
    return manifest


def after_commit(deal_id: int) -> None:
    """After the view's commit of a receipt, rejection or completion: charge the deal's
    top-up at once if its settlement recorded one in this session (else, or when that
    fails, `flask payments retry` does); without one, nothing is read."""
    from market.deals.settlement import TOP_UPS_RECORDED, process_top_up
    from market.extensions import db

    recorded = db.session.info.get(TOP_UPS_RECORDED)
    if not recorded or deal_id not in recorded:
        return
    recorded.discard(deal_id)
    process_top_up(deal_id)
