"""Rows for supply and demand listings and their append-only event log."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.accounts.models import Enterprise, Licence, User
from market.catalog.models import CodeEdition, WasteCode
from market.db import UTCDateTime, utcnow
from market.extensions import db
from market.listings.states import ListingStatus

MAX_KG = 10**10  # ten million tonnes: larger is a typo, not a lot
MAX_PRICE_FEN = 10**9  # ten million yuan per tonne either way
# What a lot physically is ("" = not stated, as for lots posted before the field existed).
PHYSICAL_FORMS = ("solid", "sludge", "liquid", "powder", "gas_container", "mixed")
ATTACHMENT_KINDS = ("photo", "lab_report", "msds", "other")
ATTACHMENT_MIMES = ("image/png", "image/jpeg", "application/pdf")


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _open_hall_index(table: str) -> tuple[Index]:
    """The trading hall reads only open listings, newest first, and counts them: with a
    million listings of which a few per cent are open, an index of the open ones alone
    (carrying what the count's filter and the distance need) answers the count from the
    index and the newest page without a sort (docs/benchmarks.md, "Load test")."""
    return (
        Index(
            f"ix_{table}_open_newest",
            "created_at",
            "id",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
            postgresql_include=["enterprise_id", "available_until", "lat", "lon"],
        ),
    )


class SupplyListing(db.Model):
    """A waste lot a generator offers (供)."""

    __tablename__ = "supply_listings"
    __table_args__ = (
        CheckConstraint(f"quantity_kg > 0 AND quantity_kg <= {MAX_KG}", name="quantity_range"),
        CheckConstraint("kg_per_unit > 0", name="unit_weight_positive"),
        CheckConstraint(
            f"asking_price_fen BETWEEN -{MAX_PRICE_FEN} AND {MAX_PRICE_FEN}", name="price_range"
        ),
        CheckConstraint("available_until >= available_from", name="date_range"),
        CheckConstraint("lat BETWEEN 3 AND 54 AND lon BETWEEN 73 AND 136", name="in_china"),
        CheckConstraint("unit IN ('t', 'm3', 'piece')", name="unit_known"),
        CheckConstraint("recurrence IN ('once', 'weekly', 'monthly')", name="recurrence_known"),
        CheckConstraint("bidding_mode IN ('open', 'sealed')", name="bidding_mode_known"),
        CheckConstraint(_in("physical_form", ("", *PHYSICAL_FORMS)), name="physical_form_known"),
        *_open_hall_index("supply_listings"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    waste_code_id: Mapped[int] = mapped_column(ForeignKey("waste_codes.id"), index=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("code_editions.id"))
    title: Mapped[str] = mapped_column(String(120))
    local_name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(8), default="t")
    quantity: Mapped[Decimal] = mapped_column(Numeric(16, 3))
    kg_per_unit: Mapped[int] = mapped_column(Integer, default=1000)
    quantity_kg: Mapped[int] = mapped_column(BigInteger, index=True)
    recurrence: Mapped[str] = mapped_column(String(10), default="once")
    packaging: Mapped[str] = mapped_column(String(80), default="")
    physical_form: Mapped[str] = mapped_column(String(16), default="", server_default="")
    #: free text, e.g. "Fe 60%, oil 5%"
    main_components: Mapped[str] = mapped_column(String(200), default="", server_default="")
    address: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    available_from: Mapped[date] = mapped_column(Date)
    available_until: Mapped[date] = mapped_column(Date, index=True)
    asking_price_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    bidding_mode: Mapped[str] = mapped_column(String(10), default="open")
    bid_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default=ListingStatus.DRAFT, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enterprise: Mapped[Enterprise] = relationship()
    created_by: Mapped[User] = relationship()
    waste_code: Mapped[WasteCode] = relationship()
    edition: Mapped[CodeEdition] = relationship()

    kind = "supply"


demand_codes = Table(
    "demand_listing_codes",
    db.metadata,
    Column(
        "demand_listing_id",
        ForeignKey("demand_listings.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("waste_code_id", ForeignKey("waste_codes.id"), primary_key=True),
)


class DemandListing(db.Model):
    """What a recycler or disposer takes (需): codes, capacity, radius, price."""

    __tablename__ = "demand_listings"
    __table_args__ = (
        CheckConstraint(
            f"remaining_capacity_kg >= 0 AND remaining_capacity_kg <= {MAX_KG}",
            name="capacity_range",
        ),
        CheckConstraint("service_radius_km > 0 AND service_radius_km <= 3000", name="radius_range"),
        CheckConstraint(
            f"price_offered_fen BETWEEN -{MAX_PRICE_FEN} AND {MAX_PRICE_FEN}", name="price_range"
        ),
        CheckConstraint("available_until >= available_from", name="date_range"),
        CheckConstraint("lat BETWEEN 3 AND 54 AND lon BETWEEN 73 AND 136", name="in_china"),
        *_open_hall_index("demand_listings"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    licence_id: Mapped[int | None] = mapped_column(ForeignKey("licences.id"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    quality_requirements: Mapped[str] = mapped_column(Text, default="")
    remaining_capacity_kg: Mapped[int] = mapped_column(BigInteger)
    service_radius_km: Mapped[int] = mapped_column(Integer)
    price_offered_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    address: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    available_from: Mapped[date] = mapped_column(Date)
    available_until: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12), default=ListingStatus.DRAFT, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enterprise: Mapped[Enterprise] = relationship()
    created_by: Mapped[User] = relationship()
    licence: Mapped[Licence | None] = relationship()
    codes: Mapped[list[WasteCode]] = relationship(secondary=demand_codes, order_by=WasteCode.code)

    kind = "demand"


class ListingEventRow(db.Model):
    """One status change of one listing; rows are only ever added."""

    __tablename__ = "listing_events"
    __table_args__ = (
        CheckConstraint(
            "(supply_listing_id IS NULL) <> (demand_listing_id IS NULL)", name="one_listing"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supply_listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("supply_listings.id"), index=True
    )
    demand_listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("demand_listings.id"), index=True
    )
    event: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(200), default="")

    actor: Mapped[User | None] = relationship()


class ListingAttachment(db.Model):
    """A photo, lab report, MSDS or other document behind a supply lot (or a demand
    listing). The file lives outside the web root (market.listings.attachments) named by
    its SHA-256; it is served only to users who may see the listing."""

    __tablename__ = "listing_attachments"
    __table_args__ = (
        CheckConstraint(
            "(supply_listing_id IS NULL) <> (demand_listing_id IS NULL)", name="one_listing"
        ),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint(_in("mime", ATTACHMENT_MIMES), name="mime_known"),
        CheckConstraint(_in("kind", ATTACHMENT_KINDS), name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supply_listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("supply_listings.id"), index=True
    )
    demand_listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("demand_listings.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    caption: Mapped[str] = mapped_column(String(200), default="")
    #: relative to the attachments folder: "<sha256>.<ext>" (identical files share one)
    stored_path: Mapped[str] = mapped_column(String(120))
    original_name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User] = relationship()

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")

    @property
    def listing_kind(self) -> str:
        return "supply" if self.supply_listing_id is not None else "demand"

    @property
    def listing_id(self) -> int:
        return self.supply_listing_id or self.demand_listing_id


class Bid(db.Model):
    """A recycler's offer on an open lot: price per tonne, quantity, validity."""

    __tablename__ = "bids"
    __table_args__ = (
        CheckConstraint(f"quantity_kg > 0 AND quantity_kg <= {MAX_KG}", name="quantity_range"),
        CheckConstraint(
            f"price_fen BETWEEN -{MAX_PRICE_FEN} AND {MAX_PRICE_FEN}", name="price_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supply_listing_id: Mapped[int] = mapped_column(ForeignKey("supply_listings.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    demand_listing_id: Mapped[int] = mapped_column(ForeignKey("demand_listings.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    price_fen: Mapped[int] = mapped_column(BigInteger)  # per tonne
    quantity_kg: Mapped[int] = mapped_column(BigInteger)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    match_score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the bidder's credit grade fell to D while this bid stood (shown to the generator)
    grade_d_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    listing: Mapped[SupplyListing] = relationship()
    enterprise: Mapped[Enterprise] = relationship()
    demand: Mapped[DemandListing] = relationship()
    created_by: Mapped[User] = relationship()


class BidEventRow(db.Model):
    """One status change of one bid; rows are only ever added."""

    __tablename__ = "bid_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), index=True)
    event: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
