"""The printed faces of a manifest: a plain ManifestSheet read from the rows, and its PDF.

`sheet_of` reads a Manifest and its relationships (no request state); `render_pdf` lays a
sheet out like the three-party transfer form, with the CJK font embedded as a subset so it
prints the same on any machine. Labels come from the project's catalogue for the locale
passed in, not from the request.
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import segno
from babel.support import NullTranslations, Translations

from market.accounts.models import Enterprise, User
from market.clock import BEIJING
from market.extensions import db
from market.manifests.models import Manifest, ManifestVersion

_TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


@dataclass(frozen=True)
class Party:
    role: str  # generator | transporter | receiver
    title: str  # 产生单位（移出人） …
    name: str
    uscc: str


@dataclass(frozen=True)
class Signature:
    at: datetime | None  # Beijing wall-clock time; None while unsigned
    user_name: str  # empty on the public sheet: a person's name is not public
    enterprise_name: str

    @property
    def at_text(self) -> str:
        return "—" if self.at is None else self.at.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Correction:
    version: int
    at: datetime  # Beijing
    enterprise_name: str
    reason: str  # empty on the public sheet: typed by a user


@dataclass(frozen=True)
class ManifestSheet:
    """Everything a printed or public manifest shows, already in the sheet's language."""

    number: str
    status: str
    status_label: str
    version: int
    generator: Party
    transporter: Party
    receiver: Party
    waste_code: str
    waste_name: str
    catalogue_name: str
    hazardous: bool
    category: str
    declared_kg: int
    received_kg: int | None
    rejected_kg: int
    packaging: str
    package_count: int
    plate: str | None  # None on the public sheet
    driver_name: str | None  # None on the public sheet
    driver_phone: str | None  # only on the signed-in print page, never public
    submitted: Signature
    pickup: Signature
    receipt: Signature
    treatment: str  # label: 利用 / 处置, or empty
    treatment_method: str
    discrepant: bool
    discrepancy_note: str  # empty on the public sheet: only the fixed flag is public
    rejection_reason: str  # empty on the public sheet
    rejection_destination: str  # label, with the alternate receiver's name if any
    receipt_due_on: date | None
    receipt_due_rule: str
    corrections: tuple[Correction, ...]
    verify_url: str
    chain_ok: bool
    public: bool
    locale: str  # "zh_CN" or "en"

    @property
    def parties(self) -> tuple[Party, Party, Party]:
        return (self.generator, self.transporter, self.receiver)

    @property
    def signatures(self) -> tuple[Signature, Signature, Signature]:
        return (self.submitted, self.pickup, self.receipt)

    def qr_svg(self, scale: int = 3) -> str:
        """The verification URL as an inline <svg> (no XML declaration)."""
        return segno.make(self.verify_url, error="m").svg_inline(scale=scale, border=2)


def normal_locale(locale: object) -> str:
    return "en" if str(locale or "").lower().startswith("en") else "zh_CN"


@cache
def translations(locale: str) -> NullTranslations:
    """The project's catalogue for `locale` (English is the source language)."""
    if locale == "en":
        return NullTranslations()
    return Translations.load(str(_TRANSLATIONS), [locale, "zh"])


def section_titles(locale: str) -> dict[str, str]:
    _ = translations(locale).gettext
    return {
        "generator": _("Generator (consignor)"),
        "transporter": _("Transporter (carrier)"),
        "receiver": _("Receiver (consignee)"),
    }


def status_label(status: str, locale: str) -> str:
    _ = translations(locale).gettext
    return {
        "draft": _("draft"),
        "submitted": _("submitted, awaiting pickup"),
        "in_transit": _("in transit"),
        "received": _("received"),
        "closed": _("closed"),
        "cancelled": _("cancelled"),
        "rejected": _("rejected"),
    }.get(status, status)


def _treatment(row: Manifest, locale: str) -> str:
    _ = translations(locale).gettext
    return {"utilise": _("utilisation"), "dispose": _("disposal")}.get(row.treatment or "", "")


def _destination(row: Manifest, locale: str) -> str:
    _ = translations(locale).gettext
    if not row.rejected_kg or row.rejection_goes_to is None:
        return ""
    if row.rejection_goes_to == "generator":
        return _("returned to the generator")
    other = row.alternate_receiver.name if row.alternate_receiver else "—"
    return _("sent to another receiver: %(name)s") % {"name": other}


def _party(enterprise: Enterprise, role: str, locale: str) -> Party:
    return Party(role, section_titles(locale)[role], enterprise.name, enterprise.uscc)


def _local(at: datetime | None) -> datetime | None:
    return None if at is None else at.astimezone(BEIJING)


def _signature(at: datetime | None, user_id: int | None, public: bool) -> Signature:
    user = db.session.get(User, user_id) if user_id is not None and at is not None else None
    if user is None:
        return Signature(_local(at), "", "")
    firm = user.enterprise.name if user.enterprise else ""
    return Signature(_local(at), "" if public else user.name, firm)


def _corrections(row: Manifest, public: bool) -> tuple[Correction, ...]:
    query = (
        db.select(ManifestVersion)
        .filter(ManifestVersion.manifest_id == row.id, ManifestVersion.version > 1)
        .order_by(ManifestVersion.version)
    )
    found = []
    for v in db.session.execute(query).scalars():
        firm = db.session.get(Enterprise, v.by_enterprise_id) if v.by_enterprise_id else None
        reason = "" if public else v.reason
        found.append(Correction(v.version, _local(v.at), firm.name if firm else "", reason))
    return tuple(found)


def _signatures(row: Manifest, public: bool) -> dict:
    return dict(
        submitted=_signature(row.submitted_at, row.submitted_by_id, public),
        pickup=_signature(row.pickup_signed_at, row.pickup_signed_by_id, public),
        receipt=_signature(row.receipt_signed_at, row.receipt_signed_by_id, public),
    )


def _waste(row: Manifest) -> dict:
    code = row.waste_code
    return dict(
        waste_code=code.code,
        waste_name=row.waste_name,
        catalogue_name=code.name,
        hazardous=code.is_hazardous,
        category=f"{code.category_code} {code.category_name}".strip(),
    )


def _private(row: Manifest, public: bool) -> dict:
    """What the parties see on the signed-in print page and the public never does."""
    return dict(
        plate=None if public else row.plate,
        driver_name=None if public else row.driver_name,
        driver_phone=None if public else row.driver_phone,
        discrepancy_note="" if public else row.discrepancy_note,
        rejection_reason="" if public else row.rejection_reason,
    )


def sheet_of(
    manifest: Manifest, *, verify_url: str, chain_ok: bool, public: bool, locale: str
) -> ManifestSheet:
    """The sheet of one manifest; `public` leaves out everything the public must not see."""
    row, locale = manifest, normal_locale(locale)
    return ManifestSheet(
        number=row.number,
        status=row.status,
        status_label=status_label(row.status, locale),
        version=row.version,
        generator=_party(row.generator, "generator", locale),
        transporter=_party(row.transporter, "transporter", locale),
        receiver=_party(row.receiver, "receiver", locale),
        declared_kg=row.declared_kg,
        received_kg=row.received_kg,
        rejected_kg=row.rejected_kg or 0,
        packaging=row.packaging or "",
        package_count=row.package_count or 0,
        treatment=_treatment(row, locale),
        treatment_method=row.treatment_method or "",
        discrepant=bool(row.discrepant),
        rejection_destination=_destination(row, locale),
        receipt_due_on=row.receipt_due_on,
        receipt_due_rule=row.receipt_due_rule or "",
        corrections=_corrections(row, public),
        verify_url=verify_url,
        chain_ok=bool(chain_ok),
        public=public,
        locale=locale,
        **_waste(row),
        **_signatures(row, public),
        **_private(row, public),
    )


def render_pdf(sheet: ManifestSheet) -> bytes:
    """The sheet as an A4 PDF laid out like the three-party transfer form."""
    from market.manifests.sheet_pdf import render  # fpdf and fontTools load only when used

    return render(sheet)
