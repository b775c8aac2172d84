"""Settling a deal on what was received: capture that amount, release the rest, and when
more arrived than was authorised, say so and charge the difference as a second payment
(purpose "top_up", one per deal by a unique key), exactly once through gateway faults."""

import logging

from flask_babel import gettext as _

from market.deals import payments
from market.deals.gateway import GatewayUnavailable, PaymentRefused
from market.deals.models import Deal, Payment
from market.deals.states import PaymentStatus
from market.errors import Conflict
from market.extensions import db
from market.inbox.services import notify

log = logging.getLogger(__name__)


def capture_received(deal: Deal, received_kg: int) -> Payment | None:
    """On a locked deal: capture the received amount (at most what was authorised) and
    record the top-up for the rest; returns the top-up row, if one is needed."""
    payment = deal.payment
    if payment is None:
        return None
    due = payments.amount_for(received_kg, deal.price_fen)
    try:
        payments.capture(payment, due)
    except GatewayUnavailable:
        raise Conflict(_("The payment service is unreachable; try again later.")) from None
    except PaymentRefused as exc:
        log.warning("deal %s: capture refused: %s", deal.id, exc)
        raise Conflict(_("The payment service refused the capture; nothing was changed.")) from None
    if due <= payment.amount_fen:
        return None
    return record_top_up(deal, payment, due - payment.amount_fen, received_kg)


TOP_UPS_RECORDED = "market.top_ups_recorded"  # session.info: deals given a top-up here


def record_top_up(deal: Deal, payment: Payment, extra_fen: int, received_kg: int) -> Payment:
    top_up = payments.record(deal, "top_up", payment.payer_id, extra_fen)
    db.session.info.setdefault(TOP_UPS_RECORDED, set()).add(deal.id)
    params = dict(
        deal=deal.id,
        kg=received_kg,
        authorised_fen=payment.amount_fen,
        extra_fen=extra_fen,
    )
    for enterprise_id in (deal.generator_id, deal.recycler_id):
        notify(enterprise_id, "deal_top_up", link=f"/deals/{deal.id}", **params)
    return top_up


def process_top_up(deal_id: int) -> Payment | None:
    """After the settlement's commit: authorise and capture the top-up at once (a lost
    answer is reconciled by its key on the next try; `flask payments retry` tries again)."""
    top_up = db.session.execute(
        db.select(Payment).filter_by(deal_id=deal_id, purpose="top_up")
    ).scalar_one_or_none()
    if top_up is None or top_up.status != PaymentStatus.PENDING:
        return top_up
    result = payments.process_payment(top_up.id)
    if result is not None and result.status == PaymentStatus.FAILED:
        notify(
            result.payer_id,
            "payment_failed",
            link=f"/deals/{deal_id}",
            deal=deal_id,
            why=result.last_error,
        )
        db.session.commit()
    return result
