"""Rows for deals, their payments and the event logs of both."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.accounts.models import Enterprise, User
from market.db import UTCDateTime, utcnow
from market.extensions import db
from market.listings.models import Bid, DemandListing, SupplyListing


class Deal(db.Model):
    """成交: one accepted bid on one lot. A lot has at most one deal that is not cancelled
    (a partial unique index): a cancelled deal reopens its lot, which may be dealt again."""

    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint("quantity_kg > 0", name="quantity_positive"),
        CheckConstraint("amount_fen >= 0", name="amount_non_negative"),
        CheckConstraint("payer IN ('recycler', 'generator', 'none')", name="payer_known"),
        CheckConstraint("extra_allowed_kg >= 0", name="extra_allowed_non_negative"),
        Index(
            "uq_deals_live_lot",
            "supply_listing_id",
            unique=True,
            sqlite_where=text("status != 'cancelled'"),
            postgresql_where=text("status != 'cancelled'"),
        ),
        # the park dashboard reads a park's deals by the time they were made
        Index("ix_deals_generator_created", "generator_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supply_listing_id: Mapped[int] = mapped_column(ForeignKey("supply_listings.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), unique=True)
    demand_listing_id: Mapped[int] = mapped_column(ForeignKey("demand_listings.id"), index=True)
    generator_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    recycler_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    quantity_kg: Mapped[int] = mapped_column(BigInteger)
    price_fen: Mapped[int] = mapped_column(BigInteger)  # per tonne; negative: generator pays
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # what the payer is authorised for
    payer: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default="made", index=True)
    #: manifests may declare this much beyond quantity_kg: the recycler's consent, and who gave it
    extra_allowed_kg: Mapped[int] = mapped_column(BigInteger, default=0)
    extra_allowed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    listing: Mapped[SupplyListing] = relationship()
    bid: Mapped[Bid] = relationship()
    demand: Mapped[DemandListing] = relationship()
    generator: Mapped[Enterprise] = relationship(foreign_keys=[generator_id])
    recycler: Mapped[Enterprise] = relationship(foreign_keys=[recycler_id])
    payment: Mapped["Payment | None"] = relationship(
        primaryjoin="and_(Payment.deal_id == Deal.id, Payment.purpose == 'deal')",
        back_populates="deal",
        uselist=False,
        viewonly=True,
    )
    top_up: Mapped["Payment | None"] = relationship(
        primaryjoin="and_(Payment.deal_id == Deal.id, Payment.purpose == 'top_up')",
        uselist=False,
        viewonly=True,
    )

    @property
    def allowed_kg(self) -> int:
        """What the deal's manifests may declare in total."""
        return self.quantity_kg + (self.extra_allowed_kg or 0)

    def party(self, enterprise_id: int | None) -> bool:
        return enterprise_id in (self.generator_id, self.recycler_id)


class Payment(db.Model):
    """The payer's payment for a deal, recorded here before the gateway is called."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("captured_fen >= 0 AND captured_fen <= amount_fen", name="captured_range"),
        CheckConstraint("purpose IN ('deal', 'top_up')", name="purpose_known"),
        UniqueConstraint("deal_id", "purpose", name="uq_payments_deal_purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    #: "deal": authorised when the deal is made; "top_up": the difference when more was
    #: received than authorised, authorised once on settlement
    purpose: Mapped[str] = mapped_column(String(8), default="deal")
    payer_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    captured_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="cny")
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # one worker at a time
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    deal: Mapped[Deal] = relationship()
    payer: Mapped[Enterprise] = relationship()


class DealEventRow(db.Model):
    __tablename__ = "deal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    event: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class PaymentEventRow(db.Model):
    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    event: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    intent_id: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
