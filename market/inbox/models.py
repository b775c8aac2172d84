"""Rows for inbox messages and the threads two enterprises write in. A message stores what
happened (kind and parameters), and is worded when read, so each reader sees it in their own
language; a thread message is a user's own text."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import UTCDateTime, utcnow
from market.extensions import db


class Message(db.Model):
    """To an enterprise's members, or to a park's administrators (park_id)."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("(enterprise_id IS NULL) <> (park_id IS NULL)", name="one_recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id"), index=True)
    # Set for a message meant for one member only (a digest they asked for).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    link: Mapped[str] = mapped_column(String(200), default="")  # a path inside the site
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageRead(db.Model):
    """One user has seen one message: read state is each user's own, not the enterprise's."""

    __tablename__ = "message_reads"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


BODY_MAX = 2000  # characters in one thread message


class Thread(db.Model):
    """A conversation between two enterprises: on one deal (its generator and recycler), or
    on one listing (its owner and one asking enterprise). One thread per deal, one per
    (listing, asker)."""

    __tablename__ = "threads"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN deal_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN supply_listing_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN demand_listing_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_subject",
        ),
        CheckConstraint("owner_id <> other_id", name="two_parties"),
        UniqueConstraint("supply_listing_id", "other_id", name="uq_threads_supply_asker"),
        UniqueConstraint("demand_listing_id", "other_id", name="uq_threads_demand_asker"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), unique=True)
    supply_listing_id: Mapped[int | None] = mapped_column(ForeignKey("supply_listings.id"))
    demand_listing_id: Mapped[int | None] = mapped_column(ForeignKey("demand_listings.id"))
    #: the listing's owner, or the deal's generator
    owner_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    #: the asking enterprise, or the deal's recycler
    other_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    owner: Mapped["Enterprise"] = relationship(foreign_keys=[owner_id])  # noqa: F821
    other: Mapped["Enterprise"] = relationship(foreign_keys=[other_id])  # noqa: F821
    deal: Mapped["Deal | None"] = relationship()  # noqa: F821
    supply_listing: Mapped["SupplyListing | None"] = relationship()  # noqa: F821
    demand_listing: Mapped["DemandListing | None"] = relationship()  # noqa: F821

    def party(self, enterprise_id: int | None) -> bool:
        return enterprise_id is not None and enterprise_id in (self.owner_id, self.other_id)

    def counterpart(self, enterprise_id: int | None) -> int:
        return self.other_id if enterprise_id == self.owner_id else self.owner_id

    @property
    def listing(self):
        return self.supply_listing or self.demand_listing


class ThreadMessage(db.Model):
    """One message in a thread, written by a member of one of its two enterprises."""

    __tablename__ = "thread_messages"
    __table_args__ = (
        CheckConstraint(f"length(body) BETWEEN 1 AND {BODY_MAX}", name="body_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped["User"] = relationship()  # noqa: F821


class ThreadRead(db.Model):
    """How far one user has read one thread (the last message id seen): read state is each
    user's own, as for inbox messages."""

    __tablename__ = "thread_reads"

    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    last_message_id: Mapped[int] = mapped_column(default=0)
