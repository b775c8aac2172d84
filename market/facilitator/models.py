"""Rows for the suggestions a park administrator sent as facilitator."""

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.accounts.models import Park, User
from market.db import UTCDateTime, utcnow
from market.extensions import db
from market.listings.models import DemandListing, SupplyListing


class Suggestion(db.Model):
    """One lot × demand pair put to both parties; a pair is suggested once, ever."""

    __tablename__ = "facilitator_suggestions"
    __table_args__ = (
        UniqueConstraint("supply_listing_id", "demand_listing_id", name="uq_suggestions_pair"),
        # the daily limit counts one administrator's suggestions by time
        Index("ix_facilitator_suggestions_admin_at", "admin_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    supply_listing_id: Mapped[int] = mapped_column(ForeignKey("supply_listings.id"), index=True)
    demand_listing_id: Mapped[int] = mapped_column(ForeignKey("demand_listings.id"), index=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    score: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    park: Mapped[Park] = relationship()
    admin: Mapped[User] = relationship()
    listing: Mapped[SupplyListing] = relationship()
    demand: Mapped[DemandListing] = relationship()
