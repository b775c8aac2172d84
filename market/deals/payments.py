"""Payments for deals: recorded first, authorised after the deal commits, captured on
the weighed quantity, cancelled with the deal; retried while the gateway is down.

Exactly once: a payment row (with its idempotency key) exists before any gateway
call; one worker at a time holds a short lease on it (a conditional UPDATE); before
creating a PaymentIntent the worker looks for one already made for this payment
(a crash or a lost answer may have left one) and adopts it.
"""

import logging
from datetime import timedelta
from uuid import uuid4

from flask import current_app
from sqlalchemy import or_, update

from market.db import utcnow
from market.deals.gateway import GatewayUnavailable, Intent, PaymentRefused
from market.deals.models import Deal, Payment, PaymentEventRow
from market.deals.states import PAYMENT_TRANSITIONS, PaymentEvent, PaymentStatus
from market.extensions import db
from market.transitions import Lifecycle

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=120)
P, PE = PaymentStatus, PaymentEvent
PAYMENTS = Lifecycle(PAYMENT_TRANSITIONS, PaymentEventRow, "payment_id", stamp="updated_at")


def gateway():
    return current_app.extensions["payments"]


def amount_for(quantity_kg: int, price_fen: int) -> int:
    """quantity × |price per tonne|, in fen, rounded half up."""
    return (quantity_kg * abs(price_fen) + 500) // 1000


def record_payment(deal: Deal) -> Payment | None:
    """The intended payment, as a row, in the deal's own transaction."""
    if deal.amount_fen == 0:
        return None
    payer = deal.recycler_id if deal.payer == "recycler" else deal.generator_id
    return record(deal, "deal", payer, deal.amount_fen)


def record(deal: Deal, purpose: str, payer_id: int, amount_fen: int) -> Payment:
    """A payment row, before any gateway call; the unique (deal, purpose) makes it once."""
    payment = Payment(
        deal=deal,
        purpose=purpose,
        payer_id=payer_id,
        amount_fen=amount_fen,
        idempotency_key=f"{'pay' if purpose == 'deal' else 'top'}-{uuid4().hex}",
        status=P.PENDING,
    )
    db.session.add(payment)
    db.session.flush()
    db.session.expire(deal, ["payment", "top_up"])  # view-only relationships: read anew
    _event(payment, PE.RECORD, None, P.PENDING, amount=payment.amount_fen)
    return payment


def _event(payment: Payment, event, source, target, amount=None, note: str = "") -> None:
    PAYMENTS.log(payment, event, source, target, **_columns(payment, amount, note))


def _move(payment: Payment, event: PaymentEvent, note: str = "", amount=None, values=None):
    """The move; `values` are further columns set in its UPDATE."""
    PAYMENTS.move(payment, event, values=values, **_columns(payment, amount, note))


def _columns(payment: Payment, amount, note: str) -> dict:
    """What a payment's event row records besides the move."""
    return {"amount_fen": amount, "intent_id": payment.intent_id, "note": note[:500]}


def _claim(payment_id: int) -> Payment | None:
    """Take the lease on a pending payment; None if another worker has it or it is done."""
    now = utcnow()
    won = db.session.execute(
        update(Payment)
        .where(
            Payment.id == payment_id,
            Payment.status == P.PENDING,
            or_(Payment.lease_until.is_(None), Payment.lease_until < now),
        )
        .values(lease_until=now + LEASE, attempts=Payment.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not won:
        return None
    payment = db.session.get(Payment, payment_id)
    db.session.refresh(payment)
    return payment


def process_payment(payment_id: int) -> Payment | None:
    """Authorise a pending payment at the gateway. Safe to call from any number of
    workers at once and again after a crash: the gateway is charged at most once."""
    payment = _claim(payment_id)
    if payment is None:
        return None
    try:
        intent = gateway().find(payment.idempotency_key) or _authorise(payment)
        _adopt(payment, intent)
    except GatewayUnavailable as exc:
        log.warning("payment %s: gateway unavailable: %s", payment.id, exc)
        _event(payment, PE.GATEWAY_DOWN, P.PENDING, P.PENDING, note=str(exc))
        payment.last_error = "unavailable"  # worded for users by market.formatting
    except PaymentRefused as exc:
        log.warning("payment %s refused (%s): %s", payment.id, exc.reason, exc)
        payment.last_error = exc.reason
        _move(payment, PE.FAIL, note=str(exc))
    payment.lease_until = None
    db.session.commit()
    return payment


def _authorise(payment: Payment) -> Intent:
    payer = payment.payer
    customer, method = gateway().ensure_customer(payer)
    payer.stripe_customer_id, payer.stripe_payment_method_id = customer, method
    db.session.commit()  # keep the customer even if the next call fails
    if not method:
        raise PaymentRefused("no payment method on file", "no_method")
    return gateway().authorise(
        payment_id=payment.id,
        deal_id=payment.deal_id,
        amount_fen=payment.amount_fen,
        currency=payment.currency,
        customer=customer,
        method=method,
        key=payment.idempotency_key,
        capture=payment.purpose == "top_up",  # for waste already received: no later capture
    )


def _adopt(payment: Payment, intent: Intent) -> None:
    """Bring the row in line with what the gateway holds."""
    payment.intent_id = intent.id
    if intent.status == "requires_capture":
        _move(payment, PE.AUTHORISE, amount=intent.amount)
    elif intent.status == "succeeded":
        payment.captured_fen = min(intent.amount, payment.amount_fen)
        _move(payment, PE.CAPTURE, amount=payment.captured_fen)
    elif intent.status == "canceled":
        _move(payment, PE.CANCEL)
    else:
        raise PaymentRefused(f"payment intent is {intent.status}")


def pending_ids() -> list[int]:
    return list(
        db.session.execute(
            db.select(Payment.id).where(Payment.status == P.PENDING).order_by(Payment.id)
        ).scalars()
    )


def retry_one(payment_id: int) -> str:
    """One pending payment's attempt; its status after it ("busy": another worker has it).
    Also a queued job of its own (`flask payments retry` with a job queue)."""
    payment = process_payment(payment_id)
    return payment.status if payment else "busy"


def retry_pending() -> dict[str, int]:
    """For the scheduler: every pending payment gets another attempt."""
    counts: dict[str, int] = {}
    for payment_id in pending_ids():
        status = retry_one(payment_id)
        counts[status] = counts.get(status, 0) + 1
    return counts


def capture(payment: Payment, amount_fen: int) -> None:
    """Capture on the weighed quantity (at most what was authorised); the rest is released."""
    amount = max(0, min(amount_fen, payment.amount_fen))
    if amount == 0:
        cancel(payment)
        return
    gateway().capture(payment.intent_id, amount, key=f"payment-{payment.id}-capture")
    _move(payment, PE.CAPTURE, amount=amount, values={"captured_fen": amount})


def cancel(payment: Payment) -> None:
    """Release an authorisation (or drop a payment never authorised)."""
    if payment.status == P.PENDING and payment.intent_id is None:
        intent = gateway().find(payment.idempotency_key)  # an attempt may have made one
        payment.intent_id = intent.id if intent else None
    if payment.intent_id:
        gateway().cancel(payment.intent_id, key=f"payment-{payment.id}-cancel")
    _move(payment, PE.CANCEL)


def retry_failed(payment: Payment) -> None:
    """A refused payment may be tried again (the payer changed its payment method). An
    intent the refused attempt left behind holds no money (the gateway said no), so the
    retry gets a fresh key; one found authorised after all is adopted instead."""
    _move(payment, PE.RETRY)
    intent = gateway().find(payment.idempotency_key)
    if intent is not None and intent.status in ("requires_capture", "succeeded"):
        _adopt(payment, intent)
        return
    if intent is not None and intent.status != "canceled":
        gateway().cancel(intent.id, key=f"payment-{payment.id}-void-{payment.attempts}")
    payment.idempotency_key = f"{payment.idempotency_key[:3]}-{uuid4().hex}"
    payment.intent_id = None
    payment.last_error = ""
