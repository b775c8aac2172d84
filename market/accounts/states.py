"""The licence review and enterprise suspension lifecycles as transition tables. Pure.

A recycler's licence is submitted with its document (pending); the park administrator
approves it or rejects it with a reason. A rejected licence, or an approved one that has
expired, is re-submitted with a new document and waits for review again. Only an
approved licence covers hazardous codes in matching and bidding.

An enterprise is active until a park administrator suspends it with a reason; lifting
the suspension makes it active again. Each step appends an event row.
"""

from enum import StrEnum

from market.lifecycle import InvalidTransition, allowed_events, next_status

__all__ = ["InvalidTransition", "allowed_events", "next_status"]


class LicenceStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class LicenceEvent(StrEnum):
    SUBMIT = "submit"  # logged only: the first submission
    APPROVE = "approve"
    REJECT = "reject"
    RESUBMIT = "resubmit"
    MIGRATE = "migrate"  # logged only: a licence carried over as approved by 0013


L, LE = LicenceStatus, LicenceEvent

LICENCE_TRANSITIONS = {
    (L.PENDING, LE.APPROVE): L.APPROVED,
    (L.PENDING, LE.REJECT): L.REJECTED,
    (L.REJECTED, LE.RESUBMIT): L.PENDING,
    # Only once expired (the service checks the date): a renewed licence is reviewed again.
    (L.APPROVED, LE.RESUBMIT): L.PENDING,
}


class EnterpriseStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class EnterpriseEvent(StrEnum):
    SUSPEND = "suspend"
    REINSTATE = "reinstate"


ENTERPRISE_TRANSITIONS = {
    (EnterpriseStatus.ACTIVE, EnterpriseEvent.SUSPEND): EnterpriseStatus.SUSPENDED,
    (EnterpriseStatus.SUSPENDED, EnterpriseEvent.REINSTATE): EnterpriseStatus.ACTIVE,
}


def covers_hazardous(status: str) -> bool:
    """Only an approved licence is trusted for hazardous codes."""
    return status == L.APPROVED


def can_resubmit(status: str, expired: bool) -> bool:
    return status == L.REJECTED or (status == L.APPROVED and expired)
