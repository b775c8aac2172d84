"""What every manifest service shares: who is which party, inbox messages, the deal lock,
the declared total and the stored versions."""

from flask_babel import gettext as _

from market.accounts.models import User
from market.deals import services as deals
from market.deals.models import Deal
from market.errors import Forbidden, NotFound
from market.extensions import db
from market.inbox.services import notify
from market.manifests.chain import canonical
from market.manifests.models import Manifest, ManifestVersion
from market.manifests.states import ManifestStatus as S

OPEN = (S.SUBMITTED, S.IN_TRANSIT)  # started, not yet received or refused


def link(manifest: Manifest) -> str:
    return f"/manifests/{manifest.id}"


def tell(manifest: Manifest, kind: str, enterprise_ids, **params) -> None:
    """One inbox message per enterprise (an enterprise on two sides gets one)."""
    for enterprise_id in dict.fromkeys(e for e in enterprise_ids if e is not None):
        notify(enterprise_id, kind, link=link(manifest), number=manifest.number, **params)


def all_sides(manifest: Manifest) -> tuple:
    return (manifest.generator_id, manifest.transporter_id, manifest.receiver_id)


def require_party(user: User, manifest: Manifest, role: str, message: str) -> None:
    """Someone who is no party gets NotFound (nothing to see); the wrong party Forbidden."""
    sides = manifest.party_of(getattr(user, "enterprise_id", None))
    if not sides and getattr(user, "admin_park_id", None) == manifest.park_id:
        raise Forbidden(message)
    if not sides:
        raise NotFound(_("No such manifest."))
    if role not in sides:
        raise Forbidden(message)


def lock_deal(deal_id, *options, with_lot: bool = False) -> Deal:
    """The deal row, locked (with what `options` load along, and its lot locked too with
    `with_lot`); an id that is not a plain integer is no deal."""
    if isinstance(deal_id, bool) or not isinstance(deal_id, int):
        raise NotFound(_("No such deal."))
    return deals.lock_deal(deal_id, *options, with_lot=with_lot)


_DECLARED = db.select(db.func.coalesce(db.func.sum(Manifest.declared_kg), 0)).where(
    Manifest.deal_id == db.bindparam("deal_id"),
    Manifest.status.not_in((S.CANCELLED, S.REJECTED)),
)


def declared_total(deal_id: int) -> int:
    """What the deal's live manifests declare (cancelled and wholly refused ones excepted)."""
    total = db.session.scalar(_DECLARED, {"deal_id": deal_id})
    return int(total)  # PostgreSQL sums a bigint column as numeric


VERSIONED = (
    "declared_kg",
    "received_kg",
    "rejected_kg",
    "treatment",
    "treatment_method",
    "plate",
    "driver_name",
    "discrepant",
    "discrepancy_note",
)


def snapshot(manifest: Manifest) -> dict:
    return {key: getattr(manifest, key) for key in VERSIONED}


def add_version(manifest: Manifest, version: int, user: User, reason: str) -> ManifestVersion:
    row = ManifestVersion(
        manifest_id=manifest.id,
        version=version,
        data=canonical(snapshot(manifest)).decode(),
        reason=reason,
        by_id=user.id,
        by_enterprise_id=user.enterprise_id,
    )
    db.session.add(row)
    db.session.flush()
    return row
