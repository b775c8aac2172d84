"""The warning lifecycle as a transition table. Pure.

A low warning goes straight to the enterprise (SENT), which answers within the park's
working days; the answer closes it. A medium or high warning starts with the park
administrator (RAISED): a medium one is forwarded to the enterprise (FORWARDED), which
sends its rectification with photos or files (RECTIFIED); the administrator accepts it
(CLOSED) or returns it (FORWARDED again). A high one needs the administrator to record
the outcome (RECORD closes it; an administrator may also record an outcome for a medium
one instead of forwarding it). An answer or rectification not sent in time escalates one
level: SENT becomes a medium warning with the administrator, FORWARDED a high one.
Where the rule says so, a warning whose cause is gone closes by itself (AUTO_CLOSED).
"""

from enum import StrEnum

from market.lifecycle import InvalidTransition, allowed_events, next_status
from market.warnings.rules import Level

__all__ = ["InvalidTransition", "allowed_events", "next_status"]


class WarningStatus(StrEnum):
    SENT = "sent"  # waiting for the enterprise's answer (low)
    RAISED = "raised"  # waiting for the administrator: forward (medium) or outcome (high)
    FORWARDED = "forwarded"  # waiting for the enterprise's rectification
    RECTIFIED = "rectified"  # waiting for the administrator to accept or return it
    CLOSED = "closed"
    AUTO_CLOSED = "auto_closed"  # the cause disappeared


class WarningEvent(StrEnum):
    RAISE = "raise"  # logged only: the run found the cause
    ANSWER = "answer"
    FORWARD = "forward"
    RECTIFY = "rectify"
    ACCEPT = "accept"
    RETURN = "return"
    RECORD = "record"  # the administrator records the outcome
    ESCALATE = "escalate"  # overdue: one level up
    AUTO_CLOSE = "auto_close"


S, E = WarningStatus, WarningEvent

OPEN = frozenset({S.SENT, S.RAISED, S.FORWARDED, S.RECTIFIED})
DONE = frozenset({S.CLOSED, S.AUTO_CLOSED})
WAITS_ON_ENTERPRISE = frozenset({S.SENT, S.FORWARDED})
WAITS_ON_ADMIN = frozenset({S.RAISED, S.RECTIFIED})

WARNING_TRANSITIONS = {
    (S.SENT, E.ANSWER): S.CLOSED,
    (S.SENT, E.ESCALATE): S.RAISED,
    (S.RAISED, E.FORWARD): S.FORWARDED,
    (S.RAISED, E.RECORD): S.CLOSED,
    (S.FORWARDED, E.RECTIFY): S.RECTIFIED,
    (S.FORWARDED, E.ESCALATE): S.RAISED,
    (S.RECTIFIED, E.ACCEPT): S.CLOSED,
    (S.RECTIFIED, E.RETURN): S.FORWARDED,
    **{(s, E.AUTO_CLOSE): S.AUTO_CLOSED for s in OPEN},
}


def initial_status(level: str) -> WarningStatus:
    """Low goes to the enterprise; medium and high to the park administrator."""
    return S.SENT if Level(level) is Level.LOW else S.RAISED


def may_forward(status: str, level: str) -> bool:
    """Only a medium warning is forwarded; a high one needs a recorded outcome."""
    return status == S.RAISED and Level(level) is Level.MEDIUM


def has_deadline(status: str) -> bool:
    """The enterprise's answer or rectification is due within the park's working days."""
    return status in WAITS_ON_ENTERPRISE
