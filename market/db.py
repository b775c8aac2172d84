"""Declarative base, naming conventions, timestamps and unit helpers (fen, kilograms)."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from market import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """Now, UTC-aware, from the business clock (so a test that sets the clock sets this)."""
    return clock.now()


def yuan_to_fen(yuan: Decimal) -> int:
    return int((Decimal(yuan) * 100).to_integral_value())


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def tonnes(kg: int) -> Decimal:
    return (Decimal(kg) / 1000).quantize(Decimal("0.001"))


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every backend and hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def _haversine_km(lat1, lon1, lat2, lon2):
    from market.geo import haversine_km

    return None if None in (lat1, lon1, lat2, lon2) else haversine_km(lat1, lon1, lat2, lon2)


def enable_sqlite_pragmas(engine) -> None:
    """Foreign keys on, and a haversine_km() SQL function, for every SQLite connection."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.create_function("haversine_km", 4, _haversine_km, deterministic=True)

    engine.dispose()  # connections opened before the listener get the pragmas too
