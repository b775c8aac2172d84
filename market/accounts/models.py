"""Rows for parks, enterprises, licences, users and API tokens."""

from datetime import date, datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market import clock
from market.accounts.states import EnterpriseStatus, LicenceStatus
from market.credit.states import IN_FORCE
from market.db import UTCDateTime, utcnow
from market.extensions import db


class Role(StrEnum):
    GENERATOR = "generator"
    RECYCLER = "recycler"
    TRANSPORTER = "transporter"


class Park(db.Model):
    __tablename__ = "parks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    region_code: Mapped[str] = mapped_column(String(6))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enterprises: Mapped[list["Enterprise"]] = relationship(back_populates="park")
    sites: Mapped[list["ParkSite"]] = relationship(
        back_populates="park", order_by="ParkSite.name", cascade="all, delete-orphan"
    )


class ParkSite(db.Model):
    """A named place in a park (a plot, a building, a gate) with its address and
    coordinates, kept by the park's administrators, so nobody types latitude and
    longitude: enterprises and listings choose a site and take its coordinates."""

    __tablename__ = "park_sites"
    __table_args__ = (
        UniqueConstraint("park_id", "name", name="uq_park_sites_park_name"),
        CheckConstraint("lat BETWEEN 3 AND 54 AND lon BETWEEN 73 AND 136", name="in_china"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    park: Mapped[Park] = relationship(back_populates="sites")

    @property
    def label(self) -> str:
        return f"{self.name} · {self.address}"


class Enterprise(db.Model):
    __tablename__ = "enterprises"
    __table_args__ = (
        CheckConstraint("is_generator OR is_recycler OR is_transporter", name="has_role"),
        CheckConstraint("lat BETWEEN 3 AND 54 AND lon BETWEEN 73 AND 136", name="in_china"),
        CheckConstraint("status IN ('active', 'suspended')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    is_generator: Mapped[bool] = mapped_column(Boolean, default=False)
    is_recycler: Mapped[bool] = mapped_column(Boolean, default=False)
    is_transporter: Mapped[bool] = mapped_column(Boolean, default=False)
    industry: Mapped[str] = mapped_column(String(80), default="")
    address: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    contact_name: Mapped[str] = mapped_column(String(60))
    contact_phone: Mapped[str] = mapped_column(String(30))
    contact_email: Mapped[str] = mapped_column(String(120), default="")
    # The payment gateway's customer and default payment method for this enterprise.
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64))
    stripe_payment_method_id: Mapped[str | None] = mapped_column(String(64))
    # Moved only by market.transitions (ENTERPRISES); a suspended enterprise's listings are
    # hidden and it may not post or bid. The reason is shown to its users.
    status: Mapped[str] = mapped_column(String(12), default=EnterpriseStatus.ACTIVE)
    suspension_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    park: Mapped[Park] = relationship(back_populates="enterprises")
    licences: Mapped[list["Licence"]] = relationship(
        back_populates="enterprise", order_by="Licence.id", cascade="all, delete-orphan"
    )
    users: Mapped[list["User"]] = relationship(back_populates="enterprise")
    # The one evaluation in force (credit_evaluations, at most one per enterprise): the
    # only source of the enterprise's credit grade.
    evaluation_in_force: Mapped["Evaluation | None"] = relationship(  # noqa: F821
        primaryjoin="and_(Enterprise.id == foreign(Evaluation.enterprise_id), "
        f"Evaluation.status.in_({sorted(s.value for s in IN_FORCE)!r}))",
        viewonly=True,
        uselist=False,
        lazy="select",
    )

    @property
    def roles(self) -> list[Role]:
        flags = (self.is_generator, self.is_recycler, self.is_transporter)
        return [role for role, on in zip(Role, flags, strict=True) if on]

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_suspended(self) -> bool:
        return self.status == EnterpriseStatus.SUSPENDED

    def grade_on(self, day: date) -> str | None:
        """The published grade if still valid on `day`; expired grades count as ungraded
        even before `flask credit expire` has moved them."""
        evaluation = self.evaluation_in_force
        return evaluation.grade if evaluation and evaluation.is_in_force_on(day) else None

    @property
    def credit_grade(self) -> str | None:
        """The published, unexpired grade today (read only: grades are made by
        market.credit.services)."""
        return self.grade_on(clock.today())

    @property
    def credit_grade_until(self) -> date | None:
        evaluation = self.evaluation_in_force
        if evaluation and evaluation.is_in_force_on(clock.today()):
            return evaluation.valid_until
        return None


licence_codes = Table(
    "licence_codes",
    db.metadata,
    Column("licence_id", ForeignKey("licences.id", ondelete="CASCADE"), primary_key=True),
    Column("waste_code_id", ForeignKey("waste_codes.id"), primary_key=True),
)


class Licence(db.Model):
    """A recycler's operating licence: which codes, how much a year, for how long."""

    __tablename__ = "licences"
    __table_args__ = (
        CheckConstraint("capacity_kg_per_year > 0", name="capacity_positive"),
        CheckConstraint("valid_until >= valid_from", name="valid_range"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
        CheckConstraint("document_size IS NULL OR document_size > 0", name="document_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    capacity_kg_per_year: Mapped[int] = mapped_column(BigInteger)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    # Moved only by market.transitions (LICENCES): pending until the park administrator
    # has checked the document; only approved licences cover hazardous codes.
    status: Mapped[str] = mapped_column(String(12), default=LicenceStatus.PENDING, index=True)
    review_note: Mapped[str] = mapped_column(Text, default="")  # the latest decision's note
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The uploaded document: outside the web root, named by its SHA-256 (market.files).
    document_path: Mapped[str | None] = mapped_column(String(120))
    document_name: Mapped[str | None] = mapped_column(String(200))
    document_mime: Mapped[str | None] = mapped_column(String(40))
    document_size: Mapped[int | None] = mapped_column(BigInteger)

    enterprise: Mapped[Enterprise] = relationship(back_populates="licences")
    codes: Mapped[list["WasteCode"]] = relationship(  # noqa: F821
        secondary=licence_codes, order_by="WasteCode.code"
    )
    events: Mapped[list["LicenceEventRow"]] = relationship(order_by="LicenceEventRow.id")

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until

    @property
    def is_approved(self) -> bool:
        return self.status == LicenceStatus.APPROVED

    @property
    def is_expired(self) -> bool:
        return self.valid_until < clock.today()


class LicenceEventRow(db.Model):
    """One step of one licence's review; rows are only ever added."""

    __tablename__ = "licence_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(
        ForeignKey("licences.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped["User | None"] = relationship()


class EnterpriseEventRow(db.Model):
    """One suspension or reinstatement of one enterprise; rows are only ever added."""

    __tablename__ = "enterprise_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    event: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped["User | None"] = relationship()


class User(UserMixin, db.Model):
    """A person: a member of one enterprise, or the administrator of one park."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(enterprise_id IS NOT NULL AND admin_park_id IS NULL)"
            " OR (enterprise_id IS NULL AND admin_park_id IS NOT NULL)",
            name="one_home",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(256))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    admin_park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id"), index=True)
    locale: Mapped[str] = mapped_column(String(10), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Wants one inbox message a business day summing up new good matches (recyclers).
    match_digest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # May invite and deactivate colleagues and edit the company's details.
    is_enterprise_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enterprise: Mapped[Enterprise | None] = relationship(back_populates="users")
    admin_park: Mapped[Park | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_park_admin(self) -> bool:
        return self.admin_park_id is not None

    def has_role(self, role: Role) -> bool:
        return self.enterprise is not None and self.enterprise.has_role(role)


class ApiToken(db.Model):
    """A per-user bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Invitation(db.Model):
    """A one-time link inviting a colleague into an enterprise; only its SHA-256 is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    email: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enterprise: Mapped[Enterprise] = relationship()
    invited_by: Mapped[User] = relationship()


class PasswordReset(db.Model):
    """A one-time password reset link; only its SHA-256 is stored."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ParkMatchSettings(db.Model):
    """A park's matching settings (domain.md §4 defaults), set by its administrator."""

    __tablename__ = "park_match_settings"
    __table_args__ = (
        CheckConstraint(
            "w_code >= 0 AND w_distance >= 0 AND w_capacity >= 0 AND w_credit >= 0",
            name="weights_non_negative",
        ),
        CheckConstraint("w_code + w_distance + w_capacity + w_credit > 0", name="weights_some"),
        CheckConstraint(
            "grade_a BETWEEN 0 AND 1 AND grade_b BETWEEN 0 AND 1 AND grade_c BETWEEN"
            " 0 AND 1 AND grade_none BETWEEN 0 AND 1",
            name="grades_unit",
        ),
        CheckConstraint("default_radius_km BETWEEN 1 AND 3000", name="radius_range"),
        CheckConstraint("road_factor BETWEEN 1 AND 3", name="road_factor_range"),
        CheckConstraint("notify_min_score BETWEEN 0 AND 1", name="notify_score_unit"),
        CheckConstraint("notify_top_n BETWEEN 1 AND 50", name="notify_top_n_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), unique=True)
    w_code: Mapped[float] = mapped_column(Float, default=0.35)
    w_distance: Mapped[float] = mapped_column(Float, default=0.25)
    w_capacity: Mapped[float] = mapped_column(Float, default=0.20)
    w_credit: Mapped[float] = mapped_column(Float, default=0.20)
    grade_a: Mapped[float] = mapped_column(Float, default=1.0)
    grade_b: Mapped[float] = mapped_column(Float, default=0.8)
    grade_c: Mapped[float] = mapped_column(Float, default=0.5)
    grade_none: Mapped[float] = mapped_column(Float, default=0.6)
    default_radius_km: Mapped[int] = mapped_column(Integer, default=50)
    road_factor: Mapped[float] = mapped_column(Float, default=1.0)
    # A published lot tells the best notify_top_n demand listings scoring at least this.
    notify_min_score: Mapped[float] = mapped_column(Float, default=0.8, server_default="0.8")
    notify_top_n: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
