"""Rows for inbox messages. A message stores what happened (kind and parameters), and is
worded when read, so each reader sees it in their own language."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

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
