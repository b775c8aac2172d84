"""Deals settle on what their manifests received: capture that, release the rest, and
charge more than was authorised as one top-up payment, exactly once through faults."""

import pytest
from flask import current_app
from sqlalchemy.exc import IntegrityError

from market.deals import payments
from market.deals import services as deals
from market.deals.gateway import GatewayUnavailable, StripeGateway
from market.deals.models import Payment
from market.errors import Conflict, Forbidden, NotFound
from market.extensions import db
from market.inbox.models import Message
from market.manifests import services as svc
from tests.manifest_flow import trip

FEN_PER_KG = 200  # 2,000 yuan per tonne


def intents(payment: Payment, gateway=None) -> list[dict]:
    client = (gateway or current_app.extensions["payments"]).client
    found, params = [], {"limit": 100}
    while True:
        page = client.v1.payment_intents.list(params=params)
        found += [
            p.to_dict()
            for p in page.data
            if p.to_dict()["metadata"].get("payment_key") == payment.idempotency_key
        ]
        if not page.has_more:
            return found
        params["starting_after"] = page.data[-1].id


def captured_at_gateway(intent: dict) -> int:
    """What the gateway holds as captured: localstripe refunds the uncaptured rest."""
    charge = intent["latest_charge"]
    return charge["amount"] - charge["amount_refunded"] if charge["captured"] else 0


def test_the_deal_settles_when_the_received_total_reaches_the_quantity(world):
    t = trip(world, quantity="20")
    first = t.closed(10_000, 10_000)
    assert t.deal.status == "made"  # 10 t of 20 t: not yet
    t.closed(10_000, 10_000)
    db.session.refresh(t.deal)
    assert t.deal.status == "completed" and first.status == "closed"
    payment = t.deal.payment
    assert (payment.status, payment.captured_fen) == ("captured", 20_000 * FEN_PER_KG)
    assert intents(payment)[0]["status"] == "succeeded"
    assert t.deal.listing.status == "closed" and t.deal.top_up is None


def test_the_generator_completes_a_deal_and_the_received_total_is_captured(world):
    t = trip(world, quantity="20")
    open_one = t.start(3_000)
    t.closed(10_000, 9_700)
    t.closed(6_000, 5_900)
    with pytest.raises(Conflict):
        svc.complete_deal(t.generator, t.deal.id)  # a manifest is still open
    db.session.rollback()
    svc.reject_manifest(
        t.recycler, t.pick_up(open_one).id, svc.RejectInput("不符合要求", "generator")
    )
    db.session.commit()
    with pytest.raises(Forbidden):
        svc.complete_deal(t.recycler, t.deal.id)
    with pytest.raises(NotFound):
        svc.complete_deal(world.other, t.deal.id)
    svc.complete_deal(t.generator, t.deal.id)
    db.session.commit()
    payment = t.deal.payment
    received = 9_700 + 5_900
    assert payment.captured_fen == received * FEN_PER_KG == 3_120_000
    assert captured_at_gateway(intents(payment)[0]) == received * FEN_PER_KG
    assert t.deal.status == "completed"
    with pytest.raises(Conflict):
        svc.complete_deal(t.generator, t.deal.id)  # once
    with pytest.raises(Conflict):
        t.start(1_000)  # no manifests for a settled deal


def test_a_deal_without_manifests_cannot_be_completed(world):
    t = trip(world)
    with pytest.raises(Conflict):
        svc.complete_deal(t.generator, t.deal.id)


def test_more_received_than_authorised_is_topped_up_once(world):
    t = trip(world, quantity="10")
    svc.allow_excess(t.recycler, t.deal.id, 2_000)
    db.session.commit()
    t.closed(6_000, 6_000)
    t.closed(6_000, 5_800)  # 11.8 t received: 1.8 t beyond the authorisation
    db.session.refresh(t.deal)
    assert t.deal.status == "completed"
    assert t.deal.payment.captured_fen == 10_000 * FEN_PER_KG
    top_up = t.deal.top_up
    assert (top_up.status, top_up.amount_fen) == ("pending", 1_800 * FEN_PER_KG)
    words = db.session.scalars(db.select(Message.kind).filter_by(kind="deal_top_up")).all()
    assert len(words) == 2  # both parties are told
    deals.after_commit_payment(t.deal)
    db.session.refresh(top_up)
    assert (top_up.status, top_up.captured_fen) == ("captured", 360_000)
    made = intents(top_up)
    assert len(made) == 1 and captured_at_gateway(made[0]) == 360_000
    deals.after_commit_payment(t.deal)  # again: nothing more
    assert payments.retry_pending() == {}
    assert len(intents(top_up)) == 1
    db.session.add(
        Payment(deal_id=t.deal.id, purpose="top_up", payer_id=top_up.payer_id, amount_fen=1,
                idempotency_key="top-again")
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        db.session.flush()  # one top-up per deal, by the schema
    db.session.rollback()


class LosesAnswers(StripeGateway):
    """The gateway makes the intent, then the connection drops before we hear back."""

    def authorise(self, **kw):
        super().authorise(**kw)
        raise GatewayUnavailable("connection reset after the request was sent")


def test_a_lost_answer_on_the_top_up_is_reconciled_not_charged_twice(app, world):
    t = trip(world, quantity="5")
    svc.allow_excess(t.recycler, t.deal.id, 1_000)
    db.session.commit()
    t.closed(5_800, 5_800)
    db.session.refresh(t.deal)
    top_up = t.deal.top_up
    real = app.extensions["payments"]
    app.extensions["payments"] = LosesAnswers(
        "sk_test_x", app.config["STRIPE_API_BASE"], test_cards=True
    )
    try:
        svc.after_commit(t.deal.id)  # what the receipt view calls after its commit
    finally:
        app.extensions["payments"] = real
    db.session.refresh(top_up)
    assert top_up.status == "pending" and top_up.intent_id is None
    assert len(intents(top_up)) == 1  # charged, but we do not know it yet
    assert payments.retry_pending() == {"captured": 1}
    db.session.refresh(top_up)
    assert top_up.status == "captured" and top_up.captured_fen == 800 * FEN_PER_KG
    assert [i["id"] for i in intents(top_up)] == [top_up.intent_id]


def test_a_gateway_down_at_closing_leaves_the_receipt_signed(app, world):
    t = trip(world, quantity="5")
    m = t.pick_up(t.start(5_000))
    real = app.extensions["payments"]
    app.extensions["payments"] = StripeGateway("sk_test_x", "http://127.0.0.1:9", timeout=1)
    try:
        t.receive(m, 5_000)
    finally:
        app.extensions["payments"] = real
    db.session.refresh(t.deal)
    assert m.status == "closed" and t.deal.status == "made"
    assert t.deal.payment.status == "authorised"
    svc.complete_deal(t.generator, t.deal.id)  # later, with the gateway back
    db.session.commit()
    assert t.deal.payment.captured_fen == 5_000 * FEN_PER_KG


def test_the_settle_command_charges_a_top_up(app, world):
    t = trip(world, quantity="5")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["deals", "settle", str(t.deal.id), "--weighed-kg", "5500"])
    assert result.exit_code == 0, result.output
    assert (
        "settled on 5500 kg" in result.output and "Top-up of 100000 fen: captured" in result.output
    )
    db.session.expire_all()
    assert t.deal.payment.captured_fen == 1_000_000
