"""A manifest as printed: the plain ManifestSheet value and the labels it is printed with,
shared by the HTML sheet, the PDF and the public verification page. No database."""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import segno
from babel.support import NullTranslations, Translations

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
