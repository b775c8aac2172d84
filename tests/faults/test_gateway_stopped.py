"""The payment gateway stopped while deals are made and settled: the payer and the lot's
owner are told plainly (in Chinese), no payment is half-written, and once the gateway is
back the scheduler's `flask payments retry` completes each payment exactly once — counted
against localstripe's own PaymentIntents."""

from datetime import timedelta

from market.db import utcnow
from market.deals.models import Deal, Payment
from market.extensions import db
from market.listings.models import Bid
from tests import factories
from tests.conftest import csrf_token, login
from tests.faults.conftest import reconcile, zh


def post(client, path, data=None):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/login")})


def test_gateway_stopped_during_pay_and_settle(app, client, world, cut_gateway):
    proxy, direct = cut_gateway
    lot = factories.steel_lot(world.generator, bid_deadline=utcnow() + timedelta(hours=3))
    recycler = factories.bidder()
    factories.bid(recycler, lot, price="2300", quantity="20")
    db.session.commit()
    bid_id = db.session.scalar(db.select(Bid.id))
    cli = app.test_cli_runner()

    proxy.cut()  # the gateway goes away
    login(client, world.generator)
    response = post(client, f"/bids/{bid_id}/accept", {"confirm": "y"})
    assert response.status_code == 302  # the deal is made; its payment waits
    deal = db.session.scalar(db.select(Deal))
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert zh("The payment service could not be reached.") in page
    payment = db.session.scalar(db.select(Payment))
    assert (payment.status, payment.intent_id, payment.lease_until) == ("pending", None, None)
    assert reconcile(direct) == {}  # nothing reached the gateway

    # The payer tries again by hand while it is still down: told so, nothing changes.
    client.get("/logout")
    login(client, recycler)
    response = post(client, f"/deals/{deal.id}/payment/retry", {})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert zh("The payment service is unreachable; it is tried again shortly.") in page
    result = cli.invoke(args=["payments", "retry"])  # the scheduler's round: still down
    assert result.exit_code == 0 and "pending: 1" in result.output
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "pending"
    assert reconcile(direct) == {}

    proxy.restore()  # back: the scheduler's next round completes it, once
    result = cli.invoke(args=["payments", "retry"])
    assert result.exit_code == 0 and "authorised: 1" in result.output, result.output
    assert cli.invoke(args=["payments", "retry"]).output.strip() == "Nothing pending."
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    intents = reconcile(direct)
    assert payment.status == "authorised"
    assert [i["status"] for i in intents.values()] == ["requires_capture"]

    # Settling while the gateway is down again: refused plainly, nothing half-done.
    proxy.cut()
    result = cli.invoke(args=["deals", "settle", str(deal.id), "--weighed-kg", "20000"])
    assert result.exit_code != 0
    assert zh("The payment service is unreachable; try again later.") in result.output
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).status == "made"
    assert db.session.get(Payment, payment.id).status == "authorised"
    assert [i["status"] for i in reconcile(direct).values()] == ["requires_capture"]

    proxy.restore()
    result = cli.invoke(args=["deals", "settle", str(deal.id), "--weighed-kg", "20000"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).captured_fen == 4_600_000
    [intent] = reconcile(direct).values()
    assert (intent["status"], intent["amount"]) == ("succeeded", 4_600_000)
    assert db.session.scalar(db.select(db.func.count(Payment.id))) == 1
