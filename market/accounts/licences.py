"""Licence review: the recycler submits a licence with its document, the park
administrator approves or rejects it with a note, a rejected or expired one is
re-submitted with a new document; and suspending an enterprise with a reason.

Both change what matching may use, so each decision stamps the affected listings'
updated_at (the indexes of other workers re-read them) and marks this process's dirty.
"""

from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import update

from market.accounts.models import (
    Enterprise,
    EnterpriseEventRow,
    Licence,
    LicenceEventRow,
    User,
)
from market.accounts.services import LicenceInput, add_licence, licence_codes_of
from market.accounts.states import (
    ENTERPRISE_TRANSITIONS,
    LICENCE_TRANSITIONS,
    EnterpriseEvent,
    LicenceEvent,
    LicenceStatus,
    can_resubmit,
)
from market.db import utcnow
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.transitions import Lifecycle
from market.uploads import FileStore, Upload

NOTE_MAX = 1000


def _licence_refusal(row, event, raced: bool) -> Exception:
    if raced:
        return Conflict(_("Someone else decided on this licence first; reload the page."))
    return Conflict(_("This licence cannot be changed that way now."))


def _enterprise_refusal(row, event, raced: bool) -> Exception:
    if event == EnterpriseEvent.SUSPEND:
        return Conflict(_("This enterprise is already suspended."))
    return Conflict(_("This enterprise is not suspended."))


LICENCES = Lifecycle(
    table=LICENCE_TRANSITIONS,
    event_model=LicenceEventRow,
    foreign_key="licence_id",
    refuse=_licence_refusal,
)
ENTERPRISES = Lifecycle(
    table=ENTERPRISE_TRANSITIONS,
    event_model=EnterpriseEventRow,
    foreign_key="enterprise_id",
    refuse=_enterprise_refusal,
)


# Licence documents: the shared upload checks and the credit evidence's size limit, in
# their own folder (<instance>/licences unless MARKET_LICENCE_DOCUMENT_DIR says otherwise).
DOCUMENTS = FileStore(
    dir_key="LICENCE_DOCUMENT_DIR",
    subfolder="licences",
    max_key="CREDIT_EVIDENCE_MAX_BYTES",
    field="document",
)


def _document_values(upload: Upload) -> dict:
    stored = DOCUMENTS.store(upload)
    return {
        "document_path": stored.stored_path,
        "document_name": stored.original_name,
        "document_mime": stored.mime,
        "document_size": stored.size_bytes,
    }


def require_recycler(user: User) -> Enterprise:
    enterprise = user.enterprise
    if enterprise is None or not enterprise.is_recycler:
        raise Forbidden(_("Only recyclers and disposers hold licences."))
    return enterprise


def submit_licence(user: User, data: LicenceInput, upload: Upload | None) -> Licence:
    """A new licence with its document, pending review."""
    enterprise = require_recycler(user)
    if upload is None or not upload.data:
        raise DomainError(_("Upload the licence document (PDF or photo)."), field="document")
    document = _checked_document(upload)
    licence = add_licence(enterprise, data)
    for key, value in document.items():
        setattr(licence, key, value)
    LICENCES.log(licence, LicenceEvent.SUBMIT, None, LicenceStatus.PENDING, user)
    db.session.flush()
    return licence


def _checked_document(upload: Upload) -> dict:
    try:
        return _document_values(upload)
    except DomainError as exc:
        raise DomainError(exc.message, field="document") from None


def own_licence(user: User, licence_id: int) -> Licence:
    licence = db.session.get(Licence, licence_id)
    if licence is None or user.enterprise_id != licence.enterprise_id:
        raise NotFound(_("No such licence."))
    return licence


def resubmittable(user: User, licence_id: int) -> Licence:
    licence = own_licence(user, licence_id)
    if not can_resubmit(licence.status, licence.is_expired):
        raise Conflict(_("Only a rejected or expired licence can be re-submitted."))
    return licence


def resubmit_licence(
    user: User, licence_id: int, data: LicenceInput, upload: Upload | None
) -> Licence:
    """A rejected, or approved but expired, licence with a new document (and, for a
    renewed licence, new dates, codes and capacity) goes back to review."""
    licence = resubmittable(user, licence_id)
    if upload is None or not upload.data:
        raise DomainError(_("Upload the new licence document."), field="document")
    if data.valid_until < data.valid_from:
        raise DomainError(_("The end date is before the start date."), field="valid_until")
    if data.capacity_kg_per_year <= 0:
        raise DomainError(_("The capacity must be more than zero."), field="capacity_t")
    codes = licence_codes_of(licence.enterprise, data.codes)
    number = (data.number or "").strip() or licence.number
    taken = db.select(Licence.id).filter_by(number=number).where(Licence.id != licence.id)
    if db.session.execute(taken).first():
        raise Conflict(_("This licence number is already registered."), field="number")
    values = {
        "number": number,
        **_checked_document(upload),
        "valid_from": data.valid_from,
        "valid_until": data.valid_until,
        "capacity_kg_per_year": data.capacity_kg_per_year,
        "submitted_at": utcnow(),
        "review_note": "",
        "reviewed_at": None,
    }
    LICENCES.move(licence, LicenceEvent.RESUBMIT, actor=user, values=values)
    licence.codes = codes
    _matching_changed(licence_id=licence.id)
    return licence


def _note(note: str, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise DomainError(_("Say why the licence is rejected."), field="note")
    if len(note) > NOTE_MAX:
        raise DomainError(_("At most %(n)d characters.", n=NOTE_MAX), field="note")
    return note


def park_licence(admin: User, licence_id: int) -> Licence:
    """A licence of the administrator's own park (others are not found)."""
    licence = db.session.get(Licence, licence_id)
    if licence is None or licence.enterprise.park_id != admin.admin_park_id:
        raise NotFound(_("No such licence."))
    return licence


def approve_licence(admin: User | None, licence: Licence, note: str = "") -> Licence:
    """Approve after checking the document; `admin` None is the system (demo, seeds)."""
    _decide(admin, licence, LicenceEvent.APPROVE, _note(note, required=False))
    return licence


def reject_licence(admin: User, licence: Licence, note: str) -> Licence:
    _decide(admin, licence, LicenceEvent.REJECT, _note(note, required=True))
    return licence


def _decide(admin: User | None, licence: Licence, event: LicenceEvent, note: str) -> None:
    values = {"review_note": note, "reviewed_at": utcnow()}
    LICENCES.move(licence, event, actor=admin, note=note, values=values)
    _matching_changed(licence_id=licence.id)


def review_queue(admin: User) -> list[Licence]:
    """The park's pending licences, oldest submission first."""
    return (
        db.session.execute(
            db.select(Licence)
            .join(Enterprise, Licence.enterprise_id == Enterprise.id)
            .where(Enterprise.park_id == admin.admin_park_id)
            .where(Licence.status == LicenceStatus.PENDING)
            .order_by(Licence.submitted_at, Licence.id)
        )
        .scalars()
        .all()
    )


def recent_decisions(admin: User, limit: int = 20) -> list[Licence]:
    return (
        db.session.execute(
            db.select(Licence)
            .join(Enterprise, Licence.enterprise_id == Enterprise.id)
            .where(Enterprise.park_id == admin.admin_park_id)
            .where(Licence.status != LicenceStatus.PENDING)
            .where(Licence.reviewed_at.is_not(None))
            .order_by(Licence.reviewed_at.desc(), Licence.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )


def document_of(user: User, licence_id: int) -> tuple[Licence, Path]:
    """The document, for the licence holder's members and its park's administrators."""
    licence = db.session.get(Licence, licence_id)
    allowed = licence is not None and (
        user.enterprise_id == licence.enterprise_id
        or (user.is_park_admin and user.admin_park_id == licence.enterprise.park_id)
    )
    if not allowed or not licence.document_path:
        raise NotFound(_("No such document."))
    path = DOCUMENTS.path_of(licence.document_path)
    if not path.exists():
        raise NotFound(_("No such document."))
    return licence, path


def suspend_enterprise(admin: User, enterprise_id: int, reason: str) -> Enterprise:
    enterprise = _park_enterprise(admin, enterprise_id)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the enterprise is suspended."), field="reason")
    if len(reason) > NOTE_MAX:
        raise DomainError(_("At most %(n)d characters.", n=NOTE_MAX), field="reason")
    ENTERPRISES.move(
        enterprise, EnterpriseEvent.SUSPEND, actor=admin, note=reason,
        values={"suspension_reason": reason},
    )  # fmt: skip
    _matching_changed(enterprise_id=enterprise.id)
    return enterprise


def reinstate_enterprise(admin: User, enterprise_id: int, note: str = "") -> Enterprise:
    enterprise = _park_enterprise(admin, enterprise_id)
    ENTERPRISES.move(
        enterprise, EnterpriseEvent.REINSTATE, actor=admin, note=_note(note, required=False),
        values={"suspension_reason": ""},
    )  # fmt: skip
    _matching_changed(enterprise_id=enterprise.id)
    return enterprise


def _park_enterprise(admin: User, enterprise_id: int) -> Enterprise:
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None or enterprise.park_id != admin.admin_park_id:
        raise NotFound(_("No such enterprise."))
    return enterprise


def enterprise_events(enterprise_id: int) -> list[EnterpriseEventRow]:
    return (
        db.session.execute(
            db.select(EnterpriseEventRow)
            .filter_by(enterprise_id=enterprise_id)
            .order_by(EnterpriseEventRow.id.desc())
        )
        .scalars()
        .all()
    )


def _matching_changed(*, licence_id: int | None = None, enterprise_id: int | None = None) -> None:
    """Stamp the listings whose matching data changed, so every worker's index re-reads
    them, and mark this process's indexes dirty."""
    from market.listings.models import DemandListing, SupplyListing
    from market.matching import service as matching

    now = utcnow()
    if licence_id is not None:
        db.session.execute(
            update(DemandListing)
            .where(DemandListing.licence_id == licence_id)
            .values(updated_at=now)
        )
    if enterprise_id is not None:
        for model in (DemandListing, SupplyListing):
            db.session.execute(
                update(model).where(model.enterprise_id == enterprise_id).values(updated_at=now)
            )
    matching.mark_dirty()
