"""Rows for transfer manifests, their hash-chained events and versions, serial counters,
periodic filings and the park's working-day calendar."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.accounts.models import Enterprise, Park, User
from market.catalog.models import WasteCode
from market.db import UTCDateTime, utcnow
from market.deals.models import Deal
from market.extensions import db

MAX_MANIFEST_KG = 200_000  # one vehicle trip: 200 t is more than any road vehicle carries


class Manifest(db.Model):
    """一般工业固废电子转移联单: one vehicle trip of one waste code under a deal.

    The columns hold the manifest's current version; every signature, rejection and
    correction is also an event row in the manifest's hash chain, and every version
    a ManifestVersion row, so nothing is ever edited without a trace."""

    __tablename__ = "manifests"
    __table_args__ = (
        UniqueConstraint(
            "region_code", "year", "serial", name="uq_manifests_serial_per_region_year"
        ),
        CheckConstraint(
            f"declared_kg > 0 AND declared_kg <= {MAX_MANIFEST_KG}", name="declared_range"
        ),
        CheckConstraint("package_count >= 0", name="packages_non_negative"),
        CheckConstraint(
            f"received_kg IS NULL OR (received_kg >= 0 AND received_kg <= {MAX_MANIFEST_KG})",
            name="received_range",
        ),
        CheckConstraint(
            f"rejected_kg >= 0 AND rejected_kg <= {MAX_MANIFEST_KG}", name="rejected_range"
        ),
        CheckConstraint("serial BETWEEN 1 AND 999999", name="serial_range"),
        CheckConstraint(
            "treatment IS NULL OR treatment IN ('utilise', 'dispose')", name="treatment_known"
        ),
        CheckConstraint(
            "rejection_goes_to IS NULL OR rejection_goes_to IN ('generator', 'other')",
            name="rejection_destination_known",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        # the park dashboard reads manifests by park and started or received time
        Index("ix_manifests_park_submitted", "park_id", "submitted_at"),
        Index("ix_manifests_park_received", "park_id", "received_at"),
        # a retried start with the same request key finds the manifest it started
        UniqueConstraint("deal_id", "start_key", name="uq_manifests_deal_start_key"),
    )

    #: not stored: True on the row a start returned for a request key sent again
    replayed = False

    id: Mapped[int] = mapped_column(primary_key=True)
    #: year (4) + the park's 6-digit division code + a 6-digit serial per year and region
    number: Mapped[str] = mapped_column(String(16), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(6))
    serial: Mapped[int] = mapped_column(Integer)
    #: the public verification page's URL carries this, never the row id
    verify_token: Mapped[str] = mapped_column(String(43), unique=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    generator_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    transporter_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    waste_code_id: Mapped[int] = mapped_column(ForeignKey("waste_codes.id"))
    waste_name: Mapped[str] = mapped_column(String(80))
    declared_kg: Mapped[int] = mapped_column(BigInteger)
    packaging: Mapped[str] = mapped_column(String(80), default="")
    package_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: the declared total passed what the deal allows, and the recycler consented
    over_deal_consent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: the idempotency key the generator's start carried (a form's, or the API's
    #: Idempotency-Key): sent again, it answers with this manifest instead of a second one
    start_key: Mapped[str | None] = mapped_column(String(64))

    plate: Mapped[str | None] = mapped_column(String(12))
    driver_name: Mapped[str | None] = mapped_column(String(40))
    driver_phone: Mapped[str | None] = mapped_column(String(20))
    picked_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pickup_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pickup_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the day the receipt must be signed by (working days after pickup) and the rule used
    receipt_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    receipt_due_rule: Mapped[str | None] = mapped_column(String(16))

    received_kg: Mapped[int | None] = mapped_column(BigInteger)  # weighed and accepted
    rejected_kg: Mapped[int] = mapped_column(BigInteger, default=0)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    treatment: Mapped[str | None] = mapped_column(String(8))  # 利用 utilise / 处置 dispose
    treatment_method: Mapped[str | None] = mapped_column(String(40))  # 再生利用, 焚烧, 填埋 …
    receipt_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    rejection_goes_to: Mapped[str | None] = mapped_column(String(10))
    alternate_receiver_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    #: received vs declared beyond the park's tolerance; the receiver's note says why
    discrepant: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    discrepancy_note: Mapped[str] = mapped_column(Text, default="")
    overdue: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: the hash of the newest event: rows cut from the end of the chain are caught by this
    head_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    deal: Mapped[Deal] = relationship()
    park: Mapped[Park] = relationship()
    generator: Mapped[Enterprise] = relationship(foreign_keys=[generator_id])
    transporter: Mapped[Enterprise] = relationship(foreign_keys=[transporter_id])
    receiver: Mapped[Enterprise] = relationship(foreign_keys=[receiver_id])
    alternate_receiver: Mapped[Enterprise | None] = relationship(
        foreign_keys=[alternate_receiver_id]
    )
    waste_code: Mapped[WasteCode] = relationship()

    def party_of(self, enterprise_id: int | None) -> list[str]:
        """Which of the three parties an enterprise is on this manifest (can be two)."""
        sides = (
            ("generator", self.generator_id),
            ("transporter", self.transporter_id),
            ("receiver", self.receiver_id),
        )
        return [name for name, eid in sides if enterprise_id is not None and eid == enterprise_id]


class ManifestEventRow(db.Model):
    """One step of one manifest, in its hash chain: `hash` is the SHA-256 of the previous
    event's hash and this row's canonical content; rows are only ever added."""

    __tablename__ = "manifest_events"
    __table_args__ = (UniqueConstraint("manifest_id", "seq", name="uq_manifest_events_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("manifests.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 … within the manifest
    event: Mapped[str] = mapped_column(String(24))  # "explain_discrepancy" is 19
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    #: what the signer signed and saw, as canonical JSON (the chain hashes exactly this)
    content: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship()


class ManifestVersion(db.Model):
    """A manifest's data as it stood at one version: 1 when it closed, then one per
    correction; a correction never edits an earlier version."""

    __tablename__ = "manifest_versions"
    __table_args__ = (
        UniqueConstraint("manifest_id", "version", name="uq_manifest_versions_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("manifests.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)  # canonical JSON of the corrected fields
    reason: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    by_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    by: Mapped[User | None] = relationship()


class ManifestSerial(db.Model):
    """The last serial given out per region and year; allocation is one conditional
    UPDATE, so two manifests can never share a number on SQLite or PostgreSQL."""

    __tablename__ = "manifest_serials"

    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)


class Filing(db.Model):
    """申报: what a generator declares it generated of one code in one period."""

    __tablename__ = "filings"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "waste_code_id", "period_key", name="uq_filings_period"),
        CheckConstraint("generated_kg >= 0 AND generated_kg <= 10000000000", name="kg_range"),
        CheckConstraint("period_end >= period_start", name="period_range"),
        CheckConstraint(
            "period_kind IN ('weekly', 'monthly', 'quarterly', 'yearly')", name="kind_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    waste_code_id: Mapped[int] = mapped_column(ForeignKey("waste_codes.id"))
    period_kind: Mapped[str] = mapped_column(String(10))
    period_key: Mapped[str] = mapped_column(String(10))  # 2026-W48, 2026-11, 2026-Q4, 2026
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    generated_kg: Mapped[int] = mapped_column(BigInteger)
    stock_kg: Mapped[int | None] = mapped_column(BigInteger)  # declared closing stock, if any
    note: Mapped[str] = mapped_column(Text, default="")
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filed_on: Mapped[date] = mapped_column(Date)  # the Beijing business day it was filed
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: 1 when filed; each amendment adds one (and a FilingAmendment row keeps the old values)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    enterprise: Mapped[Enterprise] = relationship()
    waste_code: Mapped[WasteCode] = relationship()


class FilingAmendment(db.Model):
    """One correction of a filing: the values it replaced, why, by whom. Rows are only added;
    the filing keeps its first filing day, so a correction never makes a late filing on time."""

    __tablename__ = "filing_amendments"
    __table_args__ = (
        UniqueConstraint("filing_id", "version", name="uq_filing_amendments_version"),
        CheckConstraint("version >= 2", name="version_after_first"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filings.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)  # the version this amendment made
    old_generated_kg: Mapped[int] = mapped_column(BigInteger)
    old_stock_kg: Mapped[int | None] = mapped_column(BigInteger)
    old_note: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    on: Mapped[date] = mapped_column(Date)  # the Beijing business day of the amendment

    by: Mapped[User] = relationship()


class FilingTier(db.Model):
    """How often an enterprise files, from a day on; a tier change keeps the old row."""

    __tablename__ = "filing_tiers"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "effective_from", name="uq_filing_tiers_day"),
        CheckConstraint(
            "period_kind IN ('weekly', 'monthly', 'quarterly', 'yearly')", name="kind_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    period_kind: Mapped[str] = mapped_column(String(10))
    effective_from: Mapped[date] = mapped_column(Date)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ParkCalendarDay(db.Model):
    """A day the park administrator marks: a public holiday, or a make-up working day
    (调休); used where the official calendar does not reach."""

    __tablename__ = "park_calendar_days"
    __table_args__ = (
        UniqueConstraint("park_id", "day", name="uq_park_calendar_days_day"),
        CheckConstraint("kind IN ('holiday', 'workday')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(60), default="")
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ParkManifestSettings(db.Model):
    """A park's manifest rules (domain.md §5 defaults), set by its administrator."""

    __tablename__ = "park_manifest_settings"
    __table_args__ = (
        CheckConstraint("tolerance_pct > 0 AND tolerance_pct <= 50", name="tolerance_range"),
        CheckConstraint("receipt_working_days BETWEEN 1 AND 30", name="days_range"),
        CheckConstraint("filing_grace_days BETWEEN 0 AND 120", name="grace_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), unique=True)
    tolerance_pct: Mapped[int] = mapped_column(Integer, default=5)
    receipt_working_days: Mapped[int] = mapped_column(Integer, default=5)
    filing_grace_days: Mapped[int] = mapped_column(Integer, default=15)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ParkFlowSummary(db.Model):
    """The park dashboard's monthly summary of manifests, kept current by the manifest
    services (`market.manifests.flows.record`) in the transaction that changes a manifest,
    and rebuilt from the manifests by `flask dashboard rebuild`.

    One row per park, Beijing month, generator's industry, waste code, receiver and
    treatment. `started`/`closed` count the manifests submitted in that month (signed, not
    cancelled; and of those, closed) under treatment ''; `received`/`received_kg` count
    the manifests received in that month under their treatment."""

    __tablename__ = "park_flow_summary"
    __table_args__ = (
        UniqueConstraint(
            "park_id",
            "month",
            "industry",
            "waste_code_id",
            "receiver_id",
            "treatment",
            name="uq_park_flow_summary_key",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"))
    month: Mapped[str] = mapped_column(String(7))  # "YYYY-MM", Beijing
    industry: Mapped[str] = mapped_column(String(80))  # the generator's
    waste_code_id: Mapped[int] = mapped_column(ForeignKey("waste_codes.id"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    treatment: Mapped[str] = mapped_column(String(8))  # '' for started/closed or not stated
    started: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)
    received_kg: Mapped[int] = mapped_column(BigInteger, default=0)
