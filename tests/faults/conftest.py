"""Shared pieces of the fault tests: a private localstripe behind a proxy that a test
cuts and restores, and the count of its PaymentIntents against the payment rows."""

from contextlib import contextmanager

import pytest
from flask_babel import force_locale, gettext

from market.deals.gateway import StripeGateway, gateway_from_config
from market.deals.models import Payment
from market.extensions import db
from tests.fault_proxy import FaultProxy
from tests.localstripe_server import LocalStripe


@contextmanager
def gateway_at(app, url: str):
    """The app's payments go to `url` for the length of the block."""
    saved = app.config["STRIPE_API_BASE"], app.extensions["payments"]
    app.config["STRIPE_API_BASE"] = url
    app.extensions["payments"] = gateway_from_config(app.config)
    try:
        yield
    finally:
        app.config["STRIPE_API_BASE"], app.extensions["payments"] = saved


@pytest.fixture()
def cut_gateway(app):
    """A private localstripe the app reaches through a FaultProxy; yields (proxy, direct
    gateway): the direct one reads the intents whatever the proxy's state."""
    server = LocalStripe().start()
    proxy = FaultProxy("127.0.0.1", server.port)
    try:
        with gateway_at(app, f"http://127.0.0.1:{proxy.port}"):
            yield proxy, StripeGateway("sk_test_faults", server.url)
    finally:
        proxy.close()
        server.stop()


def all_intents(gateway: StripeGateway) -> list[dict]:
    found, params = [], {"limit": 100}
    while True:
        page = gateway.client.v1.payment_intents.list(params=params)
        found += [p.to_dict() for p in page.data]
        if not page.has_more or not page.data:
            return found
        params["starting_after"] = page.data[-1].id


def reconcile(gateway: StripeGateway, only_known: bool = False) -> dict[str, dict]:
    """Each payment row that reached the gateway has exactly one intent with its key, and
    (unless `only_known`: a gateway other tests share) the gateway holds no intent that
    no row knows; the intents by key."""
    intents = all_intents(gateway)
    rows = {p.idempotency_key: p for p in db.session.scalars(db.select(Payment))}
    by_key: dict[str, list[dict]] = {}
    for intent in intents:
        key = intent["metadata"].get("payment_key")
        if key in rows or not only_known:
            by_key.setdefault(key, []).append(intent)
    assert all(len(v) == 1 for v in by_key.values()), f"an intent made twice: {by_key}"
    assert set(by_key) <= set(rows), "an intent no payment row knows"
    for key, payment in rows.items():
        if payment.intent_id is not None:
            assert by_key[key][0]["id"] == payment.intent_id
    return {k: v[0] for k, v in by_key.items()}


def zh(message: str) -> str:
    """The Chinese wording of a message (checked to be translated)."""
    with force_locale("zh_CN"):
        text = gettext(message)
    assert text != message, f"not translated: {message}"
    return text
