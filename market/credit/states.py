"""The credit evaluation and serious-violation lifecycles as transition tables. Pure.

An evaluation is opened as a draft (the online part computed from filings and manifests),
filled in item by item and submitted; a second administrator of the same park approves it
(approval publishes it in the same step: approved is passed through, with its own event
row) or returns it with a reason, after which it is edited and submitted again. A
published grade can be appealed once by the enterprise; the appeal is upheld (the grade
stands) or changed (a new grade). A grade in force ends when it expires (two years) or a
newer evaluation of the same enterprise is published (superseded). A confirmed serious
violation forces a grade in force to D without leaving its status (FORCE_D, a self-loop).
A draft, returned or submitted evaluation may be withdrawn (cancelled) by an administrator.
"""

from enum import StrEnum

from market.lifecycle import InvalidTransition, allowed_events, next_status

__all__ = ["InvalidTransition", "allowed_events", "next_status"]


class EvaluationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for a second administrator
    RETURNED = "returned"  # sent back with a reason; edited and submitted again
    APPROVED = "approved"  # passed through on the way to published
    PUBLISHED = "published"  # in force
    APPEALED = "appealed"  # in force, under appeal
    UPHELD = "upheld"  # in force, the appeal was turned down
    CHANGED = "changed"  # in force with the grade the appeal decision gave
    EXPIRED = "expired"
    SUPERSEDED = "superseded"  # a newer evaluation was published
    CANCELLED = "cancelled"  # withdrawn before publication


class EvaluationEvent(StrEnum):
    OPEN = "open"  # logged only
    MARK = "mark"  # an item's mark or note changed (self-loop)
    REFRESH = "refresh"  # the online part recomputed (self-loop)
    ATTACH = "attach"  # an evidence file added (self-loop)
    SUBMIT = "submit"
    RETURN = "return"
    APPROVE = "approve"
    PUBLISH = "publish"
    CANCEL = "cancel"
    APPEAL = "appeal"
    UPHOLD = "uphold"
    CHANGE = "change"
    FORCE_D = "force_d"  # a confirmed serious violation (self-loop)
    REMIND = "remind"  # the 60-day reminder went out (self-loop)
    EXPIRE = "expire"
    SUPERSEDE = "supersede"
    MIGRATE = "migrate"  # logged only: a placeholder grade carried over by migration 0008


S, E = EvaluationStatus, EvaluationEvent

EDITABLE = frozenset({S.DRAFT, S.RETURNED})  # marks, notes, evidence, online refresh
OPEN = frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED})  # at most one per enterprise
IN_FORCE = frozenset({S.PUBLISHED, S.APPEALED, S.UPHELD, S.CHANGED})  # at most one
ENDED = frozenset({S.EXPIRED, S.SUPERSEDED, S.CANCELLED})
# Seen by the enterprise (published once, whatever happened after).
VISIBLE_TO_ENTERPRISE = IN_FORCE | {S.EXPIRED, S.SUPERSEDED}

EVALUATION_TRANSITIONS = {
    **{(s, E.MARK): s for s in EDITABLE},
    **{(s, E.REFRESH): s for s in EDITABLE},
    **{(s, E.ATTACH): s for s in EDITABLE},
    (S.DRAFT, E.SUBMIT): S.SUBMITTED,
    (S.RETURNED, E.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, E.RETURN): S.RETURNED,
    (S.SUBMITTED, E.APPROVE): S.APPROVED,
    (S.APPROVED, E.PUBLISH): S.PUBLISHED,
    **{(s, E.CANCEL): S.CANCELLED for s in OPEN},
    (S.PUBLISHED, E.APPEAL): S.APPEALED,
    (S.APPEALED, E.UPHOLD): S.UPHELD,
    (S.APPEALED, E.CHANGE): S.CHANGED,
    **{(s, E.FORCE_D): s for s in IN_FORCE},
    **{(s, E.REMIND): s for s in IN_FORCE},
    # An appeal still open when the grade ends is moot; its row keeps what was asked.
    **{(s, E.EXPIRE): S.EXPIRED for s in IN_FORCE},
    **{(s, E.SUPERSEDE): S.SUPERSEDED for s in IN_FORCE},
}


class ViolationStatus(StrEnum):
    REPORTED = "reported"
    CONFIRMED = "confirmed"  # forces D
    DISMISSED = "dismissed"


class ViolationEvent(StrEnum):
    REPORT = "report"  # logged only
    CONFIRM = "confirm"
    DISMISS = "dismiss"


V, VE = ViolationStatus, ViolationEvent

VIOLATION_TRANSITIONS = {
    (V.REPORTED, VE.CONFIRM): V.CONFIRMED,
    (V.REPORTED, VE.DISMISS): V.DISMISSED,
}


def is_in_force(status: str) -> bool:
    return status in IN_FORCE


def can_appeal(status: str) -> bool:
    """Only a published grade never appealed before: APPEAL leaves only PUBLISHED."""
    return (status, E.APPEAL) in EVALUATION_TRANSITIONS
