"""Deal and payment lifecycles as transition tables. Pure."""

from enum import StrEnum


class DealStatus(StrEnum):
    MADE = "made"
    CANCELLED = "cancelled"  # before pickup; the authorisation is released
    COMPLETED = "completed"  # settled on the weighed quantity


class DealEvent(StrEnum):
    MAKE = "make"  # logged only
    CANCEL = "cancel"
    COMPLETE = "complete"


class PaymentStatus(StrEnum):
    PENDING = "pending"  # recorded here; not yet authorised at the gateway
    AUTHORISED = "authorised"  # PaymentIntent requires_capture
    CAPTURED = "captured"
    CANCELLED = "cancelled"
    FAILED = "failed"  # the gateway refused (card declined, no payment method)


class PaymentEvent(StrEnum):
    RECORD = "record"  # logged only
    AUTHORISE = "authorise"
    CAPTURE = "capture"
    CANCEL = "cancel"
    FAIL = "fail"
    RETRY = "retry"
    GATEWAY_DOWN = "gateway_down"  # logged only: stays pending, retried later


D, DE, P, PE = DealStatus, DealEvent, PaymentStatus, PaymentEvent

DEAL_TRANSITIONS = {
    (D.MADE, DE.CANCEL): D.CANCELLED,
    (D.MADE, DE.COMPLETE): D.COMPLETED,
}

PAYMENT_TRANSITIONS = {
    (P.PENDING, PE.AUTHORISE): P.AUTHORISED,
    (P.PENDING, PE.CANCEL): P.CANCELLED,
    (P.PENDING, PE.FAIL): P.FAILED,
    (P.PENDING, PE.CAPTURE): P.CAPTURED,  # found already captured when reconciling
    (P.AUTHORISED, PE.CAPTURE): P.CAPTURED,
    (P.AUTHORISED, PE.CANCEL): P.CANCELLED,
    (P.FAILED, PE.RETRY): P.PENDING,
}
