"""Imports every model so metadata (and Alembic) sees all tables."""

from market.accounts.models import ApiToken, Enterprise, Licence, Park, ParkMatchSettings, User
from market.catalog.models import CodeEdition, WasteAlias, WasteCode
from market.credit.models import (
    Appeal,
    ChecklistItem,
    CreditEventRow,
    CreditSettings,
    Evaluation,
    EvidenceFile,
    GradeVersion,
    Mark,
    Violation,
)
from market.deals.models import Deal, DealEventRow, Payment, PaymentEventRow
from market.inbox.models import Message
from market.listings.models import Bid, BidEventRow, DemandListing, ListingEventRow, SupplyListing
from market.manifests.models import (
    Filing,
    FilingAmendment,
    FilingTier,
    Manifest,
    ManifestEventRow,
    ManifestSerial,
    ManifestVersion,
    ParkCalendarDay,
    ParkManifestSettings,
)
from market.warnings.models import EarlyWarning, WarningEventRow, WarningFile, WarningSettings

__all__ = [
    "EarlyWarning",
    "WarningEventRow",
    "WarningFile",
    "WarningSettings",
    "Appeal",
    "ChecklistItem",
    "CreditEventRow",
    "CreditSettings",
    "Evaluation",
    "EvidenceFile",
    "GradeVersion",
    "Mark",
    "Violation",
    "Filing",
    "FilingAmendment",
    "FilingTier",
    "Manifest",
    "ManifestEventRow",
    "ManifestSerial",
    "ManifestVersion",
    "ParkCalendarDay",
    "ParkManifestSettings",
    "Bid",
    "BidEventRow",
    "Deal",
    "DealEventRow",
    "Message",
    "Payment",
    "PaymentEventRow",
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
