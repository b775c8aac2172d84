"""Reads for manifests: who may see one, lists per enterprise and park, a manifest's
history and versions, a deal's totals, the public token lookup and the chain check."""

from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlalchemy.orm import selectinload

from market import clock
from market.accounts.models import Enterprise, User
from market.deals.models import Deal
from market.extensions import db
from market.manifests import signing
from market.manifests.models import Manifest, ManifestEventRow, ManifestVersion
from market.manifests.states import ManifestStatus as S
from market.manifests.tokens import looks_like_token

OPEN = (S.SUBMITTED, S.IN_TRANSIT)
RECEIVED = (S.RECEIVED, S.CLOSED)
_LOADS = (
    selectinload(Manifest.generator),
    selectinload(Manifest.transporter),
    selectinload(Manifest.receiver),
    selectinload(Manifest.waste_code),
)


def _park_admin(user) -> int | None:
    return getattr(user, "admin_park_id", None)


def may_see(user, manifest: Manifest) -> bool:
    """The three parties, and the administrators of a park one of them is in."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if manifest.party_of(getattr(user, "enterprise_id", None)):
        return True
    park = _park_admin(user)
    if park is None:
        return False
    parties = (manifest.generator, manifest.transporter, manifest.receiver)
    return manifest.park_id == park or any(e.park_id == park for e in parties)


def _in_park(park_id: int):
    in_park = db.select(Enterprise.id).where(Enterprise.park_id == park_id)
    return or_(
        Manifest.park_id == park_id,
        Manifest.transporter_id.in_(in_park),
        Manifest.receiver_id.in_(in_park),
    )


def _mine(user: User):
    if _park_admin(user) is not None:
        return _in_park(user.admin_park_id)
    eid = user.enterprise_id
    return or_(
        Manifest.generator_id == eid, Manifest.transporter_id == eid, Manifest.receiver_id == eid
    )


def manifests_for(user: User, status: str | None = None):
    """A select() of the manifests the user may see, newest first (for db.paginate)."""
    stmt = db.select(Manifest).options(*_LOADS).where(_mine(user)).order_by(Manifest.id.desc())
    if status:
        stmt = stmt.where(Manifest.status == status)
    return stmt


def awaiting(user: User) -> list[Manifest]:
    """What waits on the user's enterprise: pickups to sign as transporter, receipts to sign
    as receiver."""
    eid = getattr(user, "enterprise_id", None)
    if eid is None:
        return []
    stmt = (
        db.select(Manifest)
        .options(*_LOADS)
        .where(
            or_(
                (Manifest.transporter_id == eid) & (Manifest.status == S.SUBMITTED),
                (Manifest.receiver_id == eid) & (Manifest.status == S.IN_TRANSIT),
            )
        )
        .order_by(Manifest.receipt_due_on.is_(None), Manifest.receipt_due_on, Manifest.id)
    )
    return list(db.session.scalars(stmt))


def menu_select(user: User):
    """For the menu, one aggregate row: what waits on the user's enterprise (`awaiting`, as
    awaiting() lists it), and as transporter the pickups to sign and everything not yet
    delivered (`pickups`, `carrying`, as transporter_queue() lists it). None without an
    enterprise."""
    eid = getattr(user, "enterprise_id", None)
    if eid is None:
        return None
    pickup = (Manifest.transporter_id == eid) & (Manifest.status == S.SUBMITTED)
    receipt = (Manifest.receiver_id == eid) & (Manifest.status == S.IN_TRANSIT)
    return db.select(
        func.count().filter(pickup | receipt).label("awaiting"),
        func.count().filter(pickup).label("pickups"),
        func.count().filter(Manifest.transporter_id == eid).label("carrying"),
    ).where(
        or_(Manifest.transporter_id == eid, Manifest.receiver_id == eid),
        Manifest.status.in_(OPEN),
    )


def transporter_queue(user: User) -> list[Manifest]:
    """Assigned to the user's enterprise as transporter, not picked up yet or in transit."""
    eid = getattr(user, "enterprise_id", None)
    if eid is None:
        return []
    stmt = (
        db.select(Manifest)
        .options(*_LOADS)
        .where(Manifest.transporter_id == eid, Manifest.status.in_(OPEN))
        .order_by(Manifest.status.desc(), Manifest.submitted_at)
    )
    return list(db.session.scalars(stmt))


def history(manifest: Manifest) -> list[ManifestEventRow]:
    stmt = (
        db.select(ManifestEventRow)
        .options(selectinload(ManifestEventRow.actor))
        .where(ManifestEventRow.manifest_id == manifest.id)
        .order_by(ManifestEventRow.seq)
    )
    return list(db.session.scalars(stmt))


def versions(manifest: Manifest) -> list[ManifestVersion]:
    stmt = (
        db.select(ManifestVersion)
        .options(selectinload(ManifestVersion.by))
        .where(ManifestVersion.manifest_id == manifest.id)
        .order_by(ManifestVersion.version)
    )
    return list(db.session.scalars(stmt))


def by_token(token: str) -> Manifest | None:
    """The manifest of a public verification URL; a malformed token costs no query."""
    if not looks_like_token(token):
        return None
    return db.session.scalars(
        db.select(Manifest).options(*_LOADS).where(Manifest.verify_token == token)
    ).one_or_none()


def chain_ok(manifest: Manifest) -> bool:
    rows = db.session.scalars(
        db.select(ManifestEventRow)
        .where(ManifestEventRow.manifest_id == manifest.id)
        .order_by(ManifestEventRow.id)
    ).all()
    return not signing.findings(manifest, list(rows))


def deal_manifests(deal: Deal) -> list[Manifest]:
    stmt = (
        db.select(Manifest)
        .options(*_LOADS)
        .where(Manifest.deal_id == deal.id)
        .order_by(Manifest.id)
    )
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class Totals:
    declared_kg: int  # on live manifests (not cancelled, not wholly rejected)
    received_kg: int
    rejected_kg: int
    open_count: int  # submitted or in transit
    allowed_kg: int  # the deal quantity plus what the recycler consented to
    quantity_kg: int

    @property
    def remaining_kg(self) -> int:
        """What further manifests may still declare."""
        return max(0, self.allowed_kg - self.declared_kg)


def deal_totals(deal: Deal) -> Totals:
    rows = deal_manifests(deal)
    live = [m for m in rows if m.status not in (S.CANCELLED, S.REJECTED)]
    return Totals(
        declared_kg=sum(m.declared_kg for m in live),
        received_kg=sum(m.received_kg or 0 for m in rows if m.status in RECEIVED),
        rejected_kg=sum(m.rejected_kg or 0 for m in rows if m.status != S.CANCELLED),
        open_count=sum(m.status in OPEN for m in rows),
        allowed_kg=deal.allowed_kg,
        quantity_kg=deal.quantity_kg,
    )


def transporters(park_id: int, deal: Deal | None = None) -> list[Enterprise]:
    """Choices for the start form: the park's transporters, and the deal's recycler when
    it collects the waste itself."""
    rows = list(
        db.session.scalars(
            db.select(Enterprise)
            .where(Enterprise.park_id == park_id, Enterprise.is_transporter.is_(True))
            .order_by(Enterprise.name)
        )
    )
    if deal is not None and all(e.id != deal.recycler_id for e in rows):
        rows.append(deal.recycler)
    return rows


def discrepant_in_park(park_id: int) -> list[Manifest]:
    """Manifests of the park whose received weight differs beyond tolerance, or whose
    receipt is overdue: the park administrator's list, newest first."""
    stmt = (
        db.select(Manifest)
        .options(*_LOADS)
        .where(_in_park(park_id), or_(Manifest.discrepant.is_(True), Manifest.overdue.is_(True)))
        .order_by(Manifest.id.desc())
    )
    return list(db.session.scalars(stmt))


def is_overdue(manifest: Manifest, today=None) -> bool:
    """Flagged, or in transit past its due date and not flagged yet (the scheduler's next run
    or the next signature flags it)."""
    if manifest.overdue:
        return True
    due = manifest.receipt_due_on
    today = today or clock.today()
    return manifest.status == S.IN_TRANSIT and due is not None and today > due


def other_receivers(manifest: Manifest) -> list[Enterprise]:
    """Where a rejected load may go instead: the park's other recyclers."""
    return list(
        db.session.scalars(
            db.select(Enterprise)
            .where(
                Enterprise.park_id == manifest.park_id,
                Enterprise.is_recycler.is_(True),
                Enterprise.id != manifest.receiver_id,
            )
            .order_by(Enterprise.name)
        )
    )
