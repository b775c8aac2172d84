"""Rows for catalogue editions, waste codes and the names plants use for them."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import UTCDateTime, utcnow
from market.extensions import db


class Scheme(StrEnum):
    HW = "HW"  # 国家危险废物名录
    SW = "SW"  # 一般工业固体废物类别
    ISW = "ISW"  # a park's own catalogue


class CodeEdition(db.Model):
    __tablename__ = "code_editions"
    __table_args__ = (UniqueConstraint("scheme", "name", "park_id", name="scheme_name_park"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id"), index=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(Text, default="")
    effective_from: Mapped[date | None] = mapped_column(Date)
    retired_on: Mapped[date | None] = mapped_column(Date)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    codes: Mapped[list["WasteCode"]] = relationship(back_populates="edition")

    @property
    def is_current(self) -> bool:
        return self.retired_on is None


class WasteCode(db.Model):
    __tablename__ = "waste_codes"
    __table_args__ = (UniqueConstraint("edition_id", "code", name="edition_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("code_editions.id"), index=True)
    scheme: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(20), index=True)
    category_code: Mapped[str] = mapped_column(String(20))
    category_name: Mapped[str] = mapped_column(String(80))
    subcategory_code: Mapped[str] = mapped_column(String(20), default="")
    subcategory_name: Mapped[str] = mapped_column(String(80), default="")
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    industry_source: Mapped[str] = mapped_column(String(80), default="")
    hazard: Mapped[str] = mapped_column(String(20), default="")
    is_hazardous: Mapped[bool] = mapped_column(Boolean, default=False)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    edition: Mapped[CodeEdition] = relationship(back_populates="codes")
    aliases: Mapped[list["WasteAlias"]] = relationship(
        back_populates="waste_code", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_usable(self) -> bool:
        return not self.retired and self.edition.is_current


class WasteAlias(db.Model):
    """A name a plant uses for a code (行业俗称)."""

    __tablename__ = "waste_aliases"
    __table_args__ = (UniqueConstraint("waste_code_id", "alias", name="code_alias"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    waste_code_id: Mapped[int] = mapped_column(
        ForeignKey("waste_codes.id", ondelete="CASCADE"), index=True
    )
    alias: Mapped[str] = mapped_column(String(80))

    waste_code: Mapped[WasteCode] = relationship(back_populates="aliases")
