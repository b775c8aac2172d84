"""Rows for credit grading (一表分级评价): per-park settings and checklists, evaluations with
their marks, evidence files, appeals, serious violations, events and the grade version."""

from datetime import date, datetime
from functools import lru_cache

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
from sqlalchemy.orm import Mapped, defer, mapped_column, relationship

from market.accounts.models import Enterprise, Park, User
from market.credit import states
from market.db import UTCDateTime, utcnow
from market.extensions import db

GRADES_SQL = "('A', 'B', 'C', 'D')"
MIMES = ("image/png", "image/jpeg", "application/pdf")


def _in(statuses) -> str:
    return "status IN (" + ", ".join(f"'{s.value}'" for s in sorted(statuses)) + ")"


class CreditSettings(db.Model):
    """A park's grading settings (domain.md §7 defaults). Points are whole numbers for the
    three parts and tenths of a point for deductions and thresholds."""

    __tablename__ = "park_credit_settings"
    __table_args__ = (
        CheckConstraint(
            "completeness >= 0 AND truthfulness >= 0 AND offline >= 0"
            " AND completeness + truthfulness + offline = 100",
            name="parts_add_up",
        ),
        CheckConstraint("late_credit_pct BETWEEN 0 AND 100", name="late_credit_range"),
        CheckConstraint(
            "negative_stock_tenths >= 0 AND weight_discrepancy_tenths >= 0"
            " AND late_receipt_tenths >= 0 AND correction_tenths >= 0",
            name="deductions_non_negative",
        ),
        CheckConstraint(
            "warning_low_tenths >= 0 AND warning_medium_tenths >= 0"
            " AND warning_high_tenths >= 0 AND warning_overdue_tenths >= 0",
            name="warning_deductions_non_negative",
        ),
        CheckConstraint(
            "1000 >= threshold_a_tenths AND threshold_a_tenths > threshold_b_tenths"
            " AND threshold_b_tenths > threshold_c_tenths AND threshold_c_tenths > 0",
            name="thresholds_fall",
        ),
        CheckConstraint("validity_years BETWEEN 1 AND 5", name="validity_range"),
        CheckConstraint("appeal_days BETWEEN 1 AND 90", name="appeal_range"),
        CheckConstraint("reminder_days BETWEEN 1 AND 365", name="reminder_range"),
        CheckConstraint("window_months BETWEEN 1 AND 36", name="window_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), unique=True)
    completeness: Mapped[int] = mapped_column(Integer, default=20)
    truthfulness: Mapped[int] = mapped_column(Integer, default=20)
    offline: Mapped[int] = mapped_column(Integer, default=60)
    late_credit_pct: Mapped[int] = mapped_column(Integer, default=50)
    negative_stock_tenths: Mapped[int] = mapped_column(Integer, default=50)
    weight_discrepancy_tenths: Mapped[int] = mapped_column(Integer, default=20)
    late_receipt_tenths: Mapped[int] = mapped_column(Integer, default=10)
    correction_tenths: Mapped[int] = mapped_column(Integer, default=10)
    # warnings raised in the window by level, and each answer day let pass (escalated)
    warning_low_tenths: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    warning_medium_tenths: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    warning_high_tenths: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    warning_overdue_tenths: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    threshold_a_tenths: Mapped[int] = mapped_column(Integer, default=900)
    threshold_b_tenths: Mapped[int] = mapped_column(Integer, default=750)
    threshold_c_tenths: Mapped[int] = mapped_column(Integer, default=600)
    validity_years: Mapped[int] = mapped_column(Integer, default=2)
    appeal_days: Mapped[int] = mapped_column(Integer, default=15)
    reminder_days: Mapped[int] = mapped_column(Integer, default=60)
    window_months: Mapped[int] = mapped_column(Integer, default=12)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ChecklistItem(db.Model):
    """One item of a park's offline checklist for one role; the administrator edits these.
    An evaluation copies the items it uses into its marks, so later edits leave it alone."""

    __tablename__ = "credit_checklist_items"
    __table_args__ = (
        UniqueConstraint("park_id", "key", name="uq_credit_checklist_items_key"),
        CheckConstraint("max_points BETWEEN 1 AND 100", name="max_range"),
        CheckConstraint("role IN ('generator', 'recycler', 'transporter')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(12))
    label_zh: Mapped[str] = mapped_column(String(80))
    label_en: Mapped[str] = mapped_column(String(80))
    guidance: Mapped[str] = mapped_column(Text, default="")
    max_points: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Evaluation(db.Model):
    """One grading of one enterprise over a window: the online part computed from its
    filings and manifests, the offline marks, and, once approved, the published grade."""

    __tablename__ = "credit_evaluations"
    __table_args__ = (
        CheckConstraint("window_start <= window_end", name="window_order"),
        CheckConstraint(f"grade IS NULL OR grade IN {GRADES_SQL}", name="grade_known"),
        CheckConstraint(
            "total_tenths IS NULL OR total_tenths BETWEEN 0 AND 1000", name="total_range"
        ),
        CheckConstraint(
            f"NOT ({_in(states.IN_FORCE | {states.EvaluationStatus.EXPIRED})})"
            " OR (grade IS NOT NULL AND published_on IS NOT NULL AND valid_until IS NOT NULL)",
            name="published_has_grade",
        ),
        CheckConstraint(
            "approved_by_id IS NULL OR submitted_by_id IS NULL"
            " OR approved_by_id <> submitted_by_id",
            name="four_eyes",
        ),
        # At most one evaluation in force and one open per enterprise.
        Index(
            "uq_credit_evaluations_in_force",
            "enterprise_id",
            unique=True,
            sqlite_where=db.text(_in(states.IN_FORCE)),
            postgresql_where=db.text(_in(states.IN_FORCE)),
        ),
        Index(
            "uq_credit_evaluations_open",
            "enterprise_id",
            unique=True,
            sqlite_where=db.text(_in(states.OPEN)),
            postgresql_where=db.text(_in(states.OPEN)),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    roles: Mapped[str] = mapped_column(String(40))  # "generator,recycler" as graded
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    #: the online Evidence's figures with the rows behind them, and the settings used (JSON)
    online: Mapped[str] = mapped_column(Text, default="{}")
    settings: Mapped[str] = mapped_column(Text, default="{}")
    #: scoring.Breakdown.as_dict() as last computed (at open, refresh, submit, decision)
    breakdown: Mapped[str] = mapped_column(Text, default="{}")
    total_tenths: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(1))
    forced: Mapped[bool] = mapped_column(Boolean, default=False)  # D by a serious violation
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, index=True)
    appeal_until: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)  # expired, superseded or cancelled
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("credit_evaluations.id"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: stamped by every move; the matching refresh re-reads enterprises changed since
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    park: Mapped[Park] = relationship()
    enterprise: Mapped[Enterprise] = relationship()
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    marks: Mapped[list["Mark"]] = relationship(
        back_populates="evaluation", order_by="Mark.position, Mark.id"
    )
    evidence: Mapped[list["EvidenceFile"]] = relationship(
        back_populates="evaluation", order_by="EvidenceFile.id"
    )
    appeal: Mapped["Appeal | None"] = relationship(back_populates="evaluation")
    events: Mapped[list["CreditEventRow"]] = relationship(
        order_by="CreditEventRow.id", viewonly=True
    )

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]

    def is_in_force_on(self, day: date) -> bool:
        """In force and not past its validity (expiry is also checked when read)."""
        return (
            self.status in states.IN_FORCE
            and self.valid_until is not None
            and day <= self.valid_until
        )


class Mark(db.Model):
    """One offline checklist item of one evaluation: the item as it stood when the
    evaluation opened, and the administrator's score (tenths of a point) and note."""

    __tablename__ = "credit_marks"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "item_key", name="uq_credit_marks_item"),
        CheckConstraint(
            "points_tenths IS NULL OR (points_tenths >= 0 AND points_tenths <= max_points * 10)",
            name="points_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("credit_evaluations.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(12))
    label_zh: Mapped[str] = mapped_column(String(80))
    label_en: Mapped[str] = mapped_column(String(80))
    max_points: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    points_tenths: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    evaluation: Mapped[Evaluation] = relationship(back_populates="marks")
    evidence: Mapped[list["EvidenceFile"]] = relationship(
        back_populates="mark", order_by="EvidenceFile.id", viewonly=True
    )


class Appeal(db.Model):
    """The enterprise's one appeal against a published grade, and its decision."""

    __tablename__ = "credit_appeals"
    __table_args__ = (
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('upheld', 'changed')", name="outcome_known"
        ),
        CheckConstraint(f"old_grade IN {GRADES_SQL}", name="old_grade_known"),
        CheckConstraint(f"new_grade IS NULL OR new_grade IN {GRADES_SQL}", name="new_grade_known"),
        CheckConstraint(
            "(outcome IS NULL AND decided_by_id IS NULL)"
            " OR (outcome IS NOT NULL AND decided_by_id IS NOT NULL)",
            name="decided_together",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("credit_evaluations.id"),
        unique=True,  # once
    )
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_on: Mapped[date] = mapped_column(Date)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    old_grade: Mapped[str] = mapped_column(String(1))
    outcome: Mapped[str | None] = mapped_column(String(8))
    new_grade: Mapped[str | None] = mapped_column(String(1))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    evaluation: Mapped[Evaluation] = relationship(back_populates="appeal")
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    evidence: Mapped[list["EvidenceFile"]] = relationship(
        back_populates="appeal", order_by="EvidenceFile.id", viewonly=True
    )


class EvidenceFile(db.Model):
    """An uploaded photo or PDF behind a mark or an appeal. The file lives outside the web
    root under instance/credit_evidence/ named by its SHA-256; served only to the
    enterprise and its park's administrators."""

    __tablename__ = "credit_evidence"
    __table_args__ = (
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("mime IN (" + ", ".join(f"'{m}'" for m in MIMES) + ")", name="mime_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("credit_evaluations.id"), index=True)
    mark_id: Mapped[int | None] = mapped_column(ForeignKey("credit_marks.id"), index=True)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("credit_appeals.id"), index=True)
    #: relative to the evidence folder: "<sha256>.<ext>" (identical files share one)
    stored_path: Mapped[str] = mapped_column(String(120))
    original_name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    evaluation: Mapped[Evaluation] = relationship(back_populates="evidence")
    mark: Mapped[Mark | None] = relationship(back_populates="evidence")
    appeal: Mapped[Appeal | None] = relationship(back_populates="evidence")
    uploaded_by: Mapped[User] = relationship()


class Violation(db.Model):
    """A serious environmental violation (严重违法) reported against an enterprise; once
    confirmed it forces the enterprise's grade to D."""

    __tablename__ = "credit_violations"
    __table_args__ = (
        CheckConstraint("status IN ('reported', 'confirmed', 'dismissed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="reported", index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enterprise: Mapped[Enterprise] = relationship()


class CreditEventRow(db.Model):
    """One step of one evaluation or one violation; rows are only ever added."""

    __tablename__ = "credit_events"
    __table_args__ = (
        CheckConstraint("(evaluation_id IS NULL) <> (violation_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_evaluations.id"), index=True
    )
    violation_id: Mapped[int | None] = mapped_column(ForeignKey("credit_violations.id"), index=True)
    event: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()


class GradeVersion(db.Model):
    """One row whose number goes up whenever a grade in force changes (published, changed
    on appeal, forced to D, expired, superseded): every worker compares it with the one
    its matching index was built at and refreshes grades when it moved."""

    __tablename__ = "credit_grade_version"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    version: Mapped[int] = mapped_column(BigInteger, default=0)


@lru_cache(maxsize=1)
def grade_only() -> tuple:
    """Options loading an evaluation for its grade alone (a badge on a card, a ranking's
    credit part): without the three JSON documents (the online evidence, the settings, the
    breakdown), which can run to kilobytes each and were read for every card of the hall.
    A function, built on its first call and kept: building the options configures the
    mappers, which must wait for every model to be imported."""
    return (defer(Evaluation.online), defer(Evaluation.settings), defer(Evaluation.breakdown))
