"""Deals and their payments against localstripe: authorise on the deal, capture on the
weighed quantity, cancel before pickup, and exactly once through gateway faults."""

from datetime import timedelta
from decimal import Decimal

import pytest
from flask import current_app

from market.db import utcnow
from market.deals import payments, services
from market.deals.gateway import GatewayUnavailable, StripeGateway, gateway_from_config
from market.deals.models import Deal, Payment, PaymentEventRow
from market.errors import Conflict, DomainError, Forbidden
from market.extensions import db
from market.inbox.models import Message
from market.listings.models import Bid, DemandListing
from tests import factories
from tests.localstripe_server import LocalStripe


@pytest.fixture()
def lot(world):
    row = factories.steel_lot(world.generator)
    db.session.commit()
    return row


def make_deal(world, lot, price="2300", quantity="20", recycler=None):
    recycler = recycler or factories.bidder()
    bid = factories.bid(recycler, lot, price=price, quantity=quantity)
    db.session.commit()
    deal = services.accept_bid(world.generator, bid.id)
    db.session.commit()
    services.after_commit_payment(deal)
    db.session.refresh(deal)
    return deal


def intents_for(payment: Payment, gateway=None) -> list:
    client = (gateway or current_app.extensions["payments"]).client
    found, params = [], {"limit": 100}
    while True:
        page = client.v1.payment_intents.list(params=params)
        found += [
            p
            for p in page.data
            if p.to_dict()["metadata"].get("payment_key") == payment.idempotency_key
        ]
        if not page.has_more:
            return found
        params["starting_after"] = page.data[-1].id


def test_accepting_a_bid_makes_a_deal_and_authorises_the_recycler(world, lot):
    loser = factories.bidder()
    factories.bid(loser, lot, price="2000")
    deal = make_deal(world, lot)
    assert (deal.status, deal.payer, deal.amount_fen) == ("made", "recycler", 4_600_000)
    assert deal.payment.status == "authorised" and deal.payment.intent_id.startswith("pi_")
    assert [i.to_dict()["status"] for i in intents_for(deal.payment)] == ["requires_capture"]
    assert lot.status == "awarded"
    assert (
        db.session.scalar(db.select(Bid.status).where(Bid.enterprise_id == loser.enterprise_id))
        == "rejected"
    )
    kinds = {m.kind for m in db.session.scalars(db.select(Message))}
    assert {"bid_won", "bid_lost", "deal_made"} <= kinds
    demand = db.session.get(DemandListing, deal.demand_listing_id)
    assert demand.remaining_capacity_kg == 80_000


def test_a_negative_price_makes_the_generator_pay(world):
    hw = factories.supply(world.generator, quantity=Decimal("2"))  # 废机油
    deal = make_deal(
        world, hw, price="-1500", quantity="2", recycler=factories.bidder(codes=("900-214-08",))
    )
    assert (deal.payer, deal.amount_fen) == ("generator", 300_000)
    assert deal.payment.payer_id == world.generator.enterprise_id


def test_settling_captures_on_the_weighed_quantity(world, lot):
    deal = make_deal(world, lot)
    services.settle_deal(deal.id, weighed_kg=18_500)
    db.session.commit()
    assert deal.status == "completed" and deal.payment.status == "captured"
    assert deal.payment.captured_fen == 4_255_000  # 18.5 t × 2,300 yuan
    assert lot.status == "closed"


def test_cancelling_before_pickup_releases_everything(world, lot):
    deal = make_deal(world, lot)
    with pytest.raises(Forbidden):
        services.cancel_deal(factories.bidder(), deal.id)
    services.cancel_deal(world.generator, deal.id, "车辆无法按期到达")
    db.session.commit()
    assert deal.status == "cancelled" and deal.payment.status == "cancelled"
    assert intents_for(deal.payment)[0].to_dict()["status"] == "canceled"
    assert db.session.get(DemandListing, deal.demand_listing_id).remaining_capacity_kg == 100_000
    assert lot.status == "open"
    with pytest.raises(Conflict):
        services.cancel_deal(world.generator, deal.id)


def test_a_zero_price_deal_needs_no_payment(world, lot):
    deal = make_deal(world, lot, price="0")
    assert deal.payer == "none" and deal.payment is None


def test_only_the_lot_owner_accepts_and_only_once(world, lot):
    a, b = factories.bid(factories.bidder(), lot, price="100"), None
    b = factories.bid(factories.bidder(), lot, price="200")
    db.session.commit()
    with pytest.raises(Forbidden):
        services.accept_bid(world.other, a.id)
    services.accept_bid(world.generator, a.id)  # not the highest: the generator's choice
    db.session.commit()
    with pytest.raises(Conflict):
        services.accept_bid(world.generator, b.id)
    assert db.session.scalar(db.select(db.func.count(Deal.id))) == 1


def test_sealed_bids_are_accepted_only_after_the_deadline(world):
    sealed = factories.supply(
        world.generator,
        waste_code="ISW-17-01-01",
        bidding_mode="sealed",
        bid_deadline=utcnow() + timedelta(hours=1),
    )
    bid = factories.bid(factories.bidder(), sealed)
    db.session.commit()
    with pytest.raises(Conflict):
        services.accept_bid(world.generator, bid.id)
    sealed.bid_deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert services.accept_bid(world.generator, bid.id).status == "made"


def test_gateway_down_leaves_the_deal_awaiting_payment_then_retry_completes(app, world, lot):
    real = app.extensions["payments"]
    app.extensions["payments"] = StripeGateway("sk_test_x", "http://127.0.0.1:9", timeout=1)
    try:
        deal = make_deal(world, lot)
    finally:
        app.extensions["payments"] = real
    assert deal.status == "made" and deal.payment.status == "pending"
    events = [e.event for e in db.session.scalars(db.select(PaymentEventRow))]
    assert events == ["record", "gateway_down"]
    assert payments.retry_pending() == {"authorised": 1}
    db.session.refresh(deal.payment)
    assert deal.payment.status == "authorised" and len(intents_for(deal.payment)) == 1
    assert payments.retry_pending() == {}  # nothing left; nothing charged twice


class LosesAnswers(StripeGateway):
    """The gateway makes the intent, then the connection drops before we hear back."""

    def authorise(self, **kw):
        super().authorise(**kw)
        raise GatewayUnavailable("connection reset after the request was sent")


def test_a_lost_answer_is_reconciled_not_charged_twice(app, world, lot):
    real = app.extensions["payments"]
    app.extensions["payments"] = LosesAnswers(
        "sk_test_x", app.config["STRIPE_API_BASE"], test_cards=True
    )
    try:
        deal = make_deal(world, lot)
    finally:
        app.extensions["payments"] = real
    assert deal.payment.status == "pending"
    assert len(intents_for(deal.payment)) == 1  # made, but we do not know it yet
    payments.retry_pending()
    db.session.refresh(deal.payment)
    assert deal.payment.status == "authorised"
    assert len(intents_for(deal.payment)) == 1
    assert deal.payment.intent_id == intents_for(deal.payment)[0].id


def test_the_gateway_stopped_mid_flow_and_started_again(app, world):
    """A real localstripe is stopped between two deals and started again later."""
    server = LocalStripe().start()
    real = app.extensions["payments"]
    app.config["STRIPE_API_BASE"], old_base = server.url, app.config["STRIPE_API_BASE"]
    app.extensions["payments"] = gateway_from_config(app.config)
    try:
        first = factories.supply(world.generator, waste_code="ISW-17-01-01", title="第一批")
        second = factories.supply(world.generator, waste_code="ISW-17-01-01", title="第二批")
        db.session.commit()
        recycler = factories.bidder(capacity_t="100")
        # The gateway's customer lives in the server about to stop; forget it like a reset.
        one = make_deal(world, first, quantity="5", recycler=recycler)
        assert one.payment.status == "authorised"
        server.stop()
        two = make_deal(world, second, quantity="5", recycler=recycler)
        assert two.payment.status == "pending"
        assert payments.retry_pending() == {"pending": 1}  # still down: still pending
        server.start()
        for enterprise in (recycler.enterprise,):
            enterprise.stripe_customer_id = enterprise.stripe_payment_method_id = None
        db.session.commit()
        assert payments.retry_pending() == {"authorised": 1}
        db.session.refresh(two.payment)
        assert two.payment.status == "authorised"
        assert len(intents_for(two.payment)) == 1
    finally:
        server.stop()
        app.config["STRIPE_API_BASE"] = old_base
        app.extensions["payments"] = real


def test_a_busy_payment_is_not_processed_twice(world, lot, app):
    deal = make_deal(world, lot, price="2300")
    payment = deal.payment
    payment.status, payment.intent_id = "pending", None
    payment.lease_until = utcnow() + timedelta(minutes=1)  # another worker holds it
    db.session.commit()
    assert payments.process_payment(payment.id) is None
    assert payments.retry_pending() == {"busy": 1}


def test_settling_with_a_negative_weight_is_refused(world, lot):
    deal = make_deal(world, lot)
    with pytest.raises(DomainError):
        services.settle_deal(deal.id, -5)


def test_payment_rows_hold_integers_only(world, lot):
    deal = make_deal(world, lot, price="2300.01", quantity="0.333")
    assert deal.amount_fen == 76_590  # 0.333 t × 230,001 fen = 76,590.333 → 76,590
    assert isinstance(db.session.scalar(db.select(Payment.amount_fen)), int)


def test_a_reopened_lot_can_be_dealt_again(world, lot):
    """Cancelling reopens the lot; accepting another bid then makes a second deal, and the
    lot still has only one deal that is not cancelled."""
    first = make_deal(world, lot)
    services.cancel_deal(world.generator, first.id, "车辆无法按期到达")
    db.session.commit()
    second = make_deal(world, lot)
    assert second.id != first.id and second.status != "cancelled"
    assert lot.status == "awarded"
    with pytest.raises(Conflict):
        services.accept_bid(world.generator, factories.bid(factories.bidder(), lot).id)
