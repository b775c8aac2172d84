"""Imports every model so metadata (and Alembic) sees all tables."""

from market.accounts.models import ApiToken, Enterprise, Licence, Park, ParkMatchSettings, User
from market.catalog.models import CodeEdition, WasteAlias, WasteCode
from market.listings.models import DemandListing, ListingEventRow, SupplyListing

__all__ = [
    "ApiToken",
    "CodeEdition",
    "DemandListing",
    "Enterprise",
    "Licence",
    "ListingEventRow",
    "Park",
    "ParkMatchSettings",
    "SupplyListing",
    "User",
    "WasteAlias",
    "WasteCode",
]
