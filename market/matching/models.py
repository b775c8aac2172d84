"""Rows of matching's outreach: which recycler was told of which lot, invited to bid on
it, or sent a day's digest — each at most once, by a unique constraint."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import UTCDateTime, utcnow
from market.extensions import db


class MatchNotice(db.Model):
    """A published lot matched a recycler's open demand listing well: it was told once."""

    __tablename__ = "match_notices"
    __table_args__ = (
        UniqueConstraint("supply_listing_id", "demand_listing_id", name="uq_match_notice_pair"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supply_listing_id: Mapped[int] = mapped_column(ForeignKey("supply_listings.id"), index=True)
    demand_listing_id: Mapped[int] = mapped_column(ForeignKey("demand_listings.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    day: Mapped[date] = mapped_column(Date, index=True)  # the business day it was found
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lot = relationship("SupplyListing", foreign_keys=[supply_listing_id])
    demand = relationship("DemandListing", foreign_keys=[demand_listing_id])


class BidInvitation(db.Model):
    """A lot's owner asked a recycler to bid on the lot: once per lot and recycler."""

    __tablename__ = "bid_invitations"
    __table_args__ = (
        UniqueConstraint("supply_listing_id", "enterprise_id", name="uq_bid_invitation_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supply_listing_id: Mapped[int] = mapped_column(ForeignKey("supply_listings.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MatchDigest(db.Model):
    """A user's daily digest of new matches: at most one per user and business day."""

    __tablename__ = "match_digests"
    __table_args__ = (
        UniqueConstraint("user_id", "day", name="uq_match_digest_day"),
        CheckConstraint("notices > 0", name="notices_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    notices: Mapped[int] = mapped_column(Integer)
    last_notice_id: Mapped[int] = mapped_column(Integer)  # the newest notice it covered
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
