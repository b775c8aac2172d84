"""Reads for deals: who may see a deal, deal lists, a deal's history."""

from sqlalchemy.orm import selectinload

from market.accounts.models import Enterprise, User
from market.deals.models import Deal, DealEventRow, PaymentEventRow
from market.extensions import db


def deals_for(user: User):
    stmt = (
        db.select(Deal)
        .options(
            selectinload(Deal.listing),
            selectinload(Deal.generator),
            selectinload(Deal.recycler),
            selectinload(Deal.payment),
        )
        .order_by(Deal.id.desc())
    )
    if user.is_park_admin:
        stmt = stmt.join(Enterprise, Deal.generator_id == Enterprise.id).where(
            Enterprise.park_id == user.admin_park_id
        )
    else:
        stmt = stmt.where(
            (Deal.generator_id == user.enterprise_id) | (Deal.recycler_id == user.enterprise_id)
        )
    return stmt


def may_see_deal(user: User, deal: Deal) -> bool:
    if deal.party(user.enterprise_id):
        return True
    return user.is_park_admin and deal.generator.park_id == user.admin_park_id


def deal_history(deal: Deal) -> tuple[list, list]:
    events = (
        db.session.execute(
            db.select(DealEventRow).filter_by(deal_id=deal.id).order_by(DealEventRow.id)
        )
        .scalars()
        .all()
    )
    payment_events = []
    if deal.payment is not None:
        payment_events = (
            db.session.execute(
                db.select(PaymentEventRow)
                .filter_by(payment_id=deal.payment.id)
                .order_by(PaymentEventRow.id)
            )
            .scalars()
            .all()
        )
    return events, payment_events
