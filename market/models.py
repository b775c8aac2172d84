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
from market.inbox.models import Message, MessageRead, Thread, ThreadMessage, ThreadRead
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

__all__ = [
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
    "MessageRead",
    "Thread",
    "ThreadMessage",
    "ThreadRead",
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
