"""The manifest lifecycle as a transition table, and who may fire each event. Pure.

draft -> submitted (generator signs) -> in_transit (transporter signs pickup)
-> received (receiver signs the weighed weight and treatment, in full or with a
part rejected) -> closed; or in_transit -> rejected (the whole load refused).
Rejected waste, whole or part, travels on a new manifest back to the generator
or on to another named receiver (as e-Manifest does); this one keeps the record.
Cancel only before pickup. Some events leave the status as it is but are still
allowed only in some statuses (a self-loop): editing a draft, a carrier handing
over in transit, the overdue flag, a discrepancy note, and corrections, which
are new versions of a received, rejected or closed manifest and never reopen it.
"""

from enum import StrEnum

from market.lifecycle import InvalidTransition, allowed_events, next_status

__all__ = ["InvalidTransition", "allowed_events", "next_status"]


class ManifestStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # the generator signed; waiting for pickup
    IN_TRANSIT = "in_transit"  # the transporter signed the pickup
    RECEIVED = "received"  # the receiver signed, in full or partly rejecting
    REJECTED = "rejected"  # the receiver refused the whole load
    CLOSED = "closed"
    CANCELLED = "cancelled"  # before pickup


class ManifestEvent(StrEnum):
    CREATE = "create"  # logged only; no transition leads to it
    EDIT = "edit"  # a field of the draft changed
    SUBMIT = "submit"  # generator signs: code, declared weight, packaging, parties
    CANCEL = "cancel"
    PICK_UP = "pick_up"  # transporter signs: plate, driver, time
    HAND_OVER = "hand_over"  # the next carrier signs (multimodal transport, 第十七条)
    MARK_OVERDUE = "mark_overdue"  # not received within 5 working days of pickup
    RECEIVE = "receive"  # receiver signs: weighed weight, time, treatment method
    RECEIVE_PART = "receive_part"  # as RECEIVE, with the rejected part and where it goes
    REJECT = "reject"  # the whole load refused, with reason and where it goes
    EXPLAIN_DISCREPANCY = "explain_discrepancy"  # the note a weight discrepancy needs
    CLOSE = "close"
    CORRECT = "correct"  # a new version of signed data; the status stays


class Role(StrEnum):
    GENERATOR = "generator"
    TRANSPORTER = "transporter"
    RECEIVER = "receiver"
    SYSTEM = "system"  # scheduled checks, not a person


S, E, R = ManifestStatus, ManifestEvent, Role

MANIFEST_TRANSITIONS = {
    (S.DRAFT, E.EDIT): S.DRAFT,
    (S.DRAFT, E.SUBMIT): S.SUBMITTED,
    (S.DRAFT, E.CANCEL): S.CANCELLED,
    (S.SUBMITTED, E.CANCEL): S.CANCELLED,
    (S.SUBMITTED, E.PICK_UP): S.IN_TRANSIT,
    (S.IN_TRANSIT, E.HAND_OVER): S.IN_TRANSIT,
    (S.IN_TRANSIT, E.MARK_OVERDUE): S.IN_TRANSIT,
    (S.IN_TRANSIT, E.RECEIVE): S.RECEIVED,
    (S.IN_TRANSIT, E.RECEIVE_PART): S.RECEIVED,
    (S.IN_TRANSIT, E.REJECT): S.REJECTED,
    (S.RECEIVED, E.EXPLAIN_DISCREPANCY): S.RECEIVED,
    (S.RECEIVED, E.CORRECT): S.RECEIVED,
    (S.RECEIVED, E.CLOSE): S.CLOSED,
    (S.REJECTED, E.CORRECT): S.REJECTED,
    (S.CLOSED, E.CORRECT): S.CLOSED,
}

# Who may fire each event; the service also checks it is that party of this manifest.
ACTORS = {
    E.CREATE: frozenset({R.GENERATOR}),
    E.EDIT: frozenset({R.GENERATOR}),
    E.SUBMIT: frozenset({R.GENERATOR}),
    E.CANCEL: frozenset({R.GENERATOR}),
    E.PICK_UP: frozenset({R.TRANSPORTER}),
    E.HAND_OVER: frozenset({R.TRANSPORTER}),
    E.MARK_OVERDUE: frozenset({R.SYSTEM}),
    E.RECEIVE: frozenset({R.RECEIVER}),
    E.RECEIVE_PART: frozenset({R.RECEIVER}),
    E.REJECT: frozenset({R.RECEIVER}),
    E.EXPLAIN_DISCREPANCY: frozenset({R.GENERATOR, R.RECEIVER}),
    E.CLOSE: frozenset({R.RECEIVER}),
    E.CORRECT: frozenset({R.GENERATOR, R.TRANSPORTER, R.RECEIVER}),
}

# Events that are signatures: each records who signed, when, and what they saw.
SIGNATURES = frozenset({E.SUBMIT, E.PICK_UP, E.HAND_OVER, E.RECEIVE, E.RECEIVE_PART, E.REJECT})

# No status leaves these; CORRECT still adds versions to rejected and closed ones.
FINAL = frozenset({S.CLOSED, S.REJECTED, S.CANCELLED})

# Signed by the generator, so counted as started for the closure rate.
STARTED = frozenset(set(S) - {S.DRAFT, S.CANCELLED})


def can_cancel(status: str) -> bool:
    """Cancel only before pickup."""
    return (status, E.CANCEL) in MANIFEST_TRANSITIONS


def may_fire(role: str, event: str) -> bool:
    return role in ACTORS.get(event, frozenset())
