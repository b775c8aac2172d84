"""Rows for warnings (预警): the warning, its events, a park's settings and rectification files."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.accounts.models import Enterprise, Park, User
from market.db import UTCDateTime, utcnow
from market.extensions import db
from market.warnings.rules import Category, Level, RuleKey
from market.warnings.states import WarningStatus


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v.value}'" for v in values) + ")"


class EarlyWarning(db.Model):
    """One warning: a rule found a cause at an enterprise. Raised once per (park, rule,
    cause key), whatever happened to it since; every step is a WarningEventRow."""

    __tablename__ = "warnings"
    __table_args__ = (
        UniqueConstraint("park_id", "rule", "cause_key", name="uq_warnings_cause"),
        CheckConstraint(_in("level", Level), name="level_known"),
        CheckConstraint(_in("category", Category), name="category_known"),
        CheckConstraint(_in("rule", RuleKey), name="rule_known"),
        CheckConstraint(_in("status", WarningStatus), name="status_known"),
        CheckConstraint(
            "(status IN ('closed', 'auto_closed')) = (closed_on IS NOT NULL)",
            name="closed_has_day",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    rule: Mapped[str] = mapped_column(String(24))
    category: Mapped[str] = mapped_column(String(12), index=True)
    level: Mapped[str] = mapped_column(String(8), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    cause_key: Mapped[str] = mapped_column(String(80))
    facts: Mapped[str] = mapped_column(Text, default="{}")  # JSON, worded by the pages
    auto_close: Mapped[bool] = mapped_column(Boolean, default=False)
    raised_on: Mapped[date] = mapped_column(Date, index=True)
    #: the enterprise's answer or rectification is due by the end of this day
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    closed_on: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    park: Mapped[Park] = relationship()
    enterprise: Mapped[Enterprise] = relationship()
    events: Mapped[list["WarningEventRow"]] = relationship(
        order_by="WarningEventRow.id", viewonly=True
    )
    files: Mapped[list["WarningFile"]] = relationship(order_by="WarningFile.id", viewonly=True)


class WarningEventRow(db.Model):
    """One step of one warning; rows are only ever added."""

    __tablename__ = "warning_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"), index=True)
    event: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    level: Mapped[str | None] = mapped_column(String(8))  # the level after the step
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()


class WarningSettings(db.Model):
    """A park's warning settings as JSON, checked by rules.Settings before they are kept."""

    __tablename__ = "park_warning_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), unique=True)
    values: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class WarningFile(db.Model):
    """A photo or PDF sent with a rectification; stored like credit evidence (by SHA-256,
    outside the web root) and served only to the enterprise and its park's administrators."""

    __tablename__ = "warning_files"
    __table_args__ = (
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint(
            "mime IN ('image/png', 'image/jpeg', 'application/pdf')", name="mime_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("warning_events.id"))
    stored_path: Mapped[str] = mapped_column(String(120))
    original_name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
