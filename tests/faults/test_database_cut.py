"""PostgreSQL going away under the app, without restarting the shared server (other test
runs use it): the app reaches it through a FaultProxy that the test cuts, and its
connections are also killed with pg_terminate_backend.

- the server gone after a response was made: that response still goes out (the session's
  ROLLBACK at the end of the request fails; found by bench/faults.py as a bare 500);
- idle pooled connections killed: the next request still succeeds (pool_pre_ping);
- the server unreachable: pages and the API answer 503 with a message in the user's
  language and Retry-After, never a 500;
- a request cut in flight (accepting a bid, the connection dropped before the deal's
  INSERT): 503, nothing written; the client's retry after recovery makes exactly one
  deal, one payment and one PaymentIntent.

SQLite has no server to lose: skipped there."""

import pytest
from sqlalchemy import event, make_url, text

from market.app import create_app
from market.config import TestConfig
from market.deals.models import Deal, Payment
from market.extensions import db
from market.listings.models import Bid
from tests import factories
from tests.conftest import csrf_token, login
from tests.fault_proxy import FaultProxy
from tests.faults.conftest import reconcile, zh
from tests.functional.test_api import bearer

pytestmark = pytest.mark.postgres
APP_NAME = "market-faults-test"
DOWN = "The database is briefly unavailable; please try again in a moment."


@pytest.fixture()
def proxied(app):
    """(app behind a cuttable proxy to the test database, the proxy)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL=postgresql://…): SQLite has no server")
    proxy = FaultProxy(url.host or "127.0.0.1", url.port or 5432)

    class Proxied(TestConfig):
        SQLALCHEMY_DATABASE_URI = url.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False
        )
        SQLALCHEMY_ENGINE_OPTIONS = {
            **TestConfig.SQLALCHEMY_ENGINE_OPTIONS,
            "connect_args": {"application_name": APP_NAME, "connect_timeout": 2},
        }
        STRIPE_API_BASE = app.config["STRIPE_API_BASE"]

    behind = create_app(Proxied)
    behind.config["CUT_AFTER_RESPONSE"] = False

    @behind.after_request
    def cut_after_response(response):
        # the server goes away once the answer is made, before the session's ROLLBACK
        if behind.config["CUT_AFTER_RESPONSE"]:
            proxy.cut()
        return response

    yield behind, proxy
    with behind.app_context():
        db.engine.dispose()
    proxy.close()


def terminate_app_connections() -> int:
    killed = db.session.execute(
        text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :name"
        ),
        {"name": APP_NAME},
    ).scalar()
    db.session.commit()
    return killed


def post(client, path, data=None):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/login")})


def test_killed_connections_cut_network_and_a_request_cut_in_flight(app, world, proxied):
    behind, proxy = proxied
    lot = factories.steel_lot(world.generator)
    factories.bid(factories.bidder(), lot, price="2300", quantity="20")
    db.session.commit()
    bid_id = db.session.scalar(db.select(Bid.id))
    api = {**bearer(world.generator), "Accept-Language": "en"}
    client = behind.test_client()
    login(client, world.generator)
    assert client.get("/listings/").status_code == 200

    # 1. Every connection of the app killed between requests: the pool notices.
    assert terminate_app_connections() >= 1
    assert client.get("/listings/").status_code == 200
    assert client.get("/api/v1/me", headers=api).status_code == 200

    # 2. The server unreachable: a clear 503, in the user's language, for pages and API.
    proxy.cut()
    page = client.get("/listings/")
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert zh(DOWN) in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    answer = client.get("/api/v1/me", headers=api)
    assert answer.status_code == 503 and answer.json["error"]["message"] == DOWN
    assert client.get("/readyz").json["checks"]["database"]["status"] == "down"
    proxy.restore()
    assert client.get("/listings/").status_code == 200  # by itself, no restart

    # The server goes away after the answer is made: the answer still goes out.
    behind.config["CUT_AFTER_RESPONSE"] = True
    assert client.get("/api/v1/me", headers=api).status_code == 200
    behind.config["CUT_AFTER_RESPONSE"] = False
    proxy.restore()
    assert client.get("/api/v1/me", headers=api).status_code == 200

    # 3. Cut in flight: the connection drops just before the deal's INSERT.
    with behind.app_context():
        engine = db.engine

    def cut_before_deal(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO DEALS"):
            event.remove(engine, "before_cursor_execute", cut_before_deal)
            proxy.cut()

    event.listen(engine, "before_cursor_execute", cut_before_deal)
    response = post(client, f"/bids/{bid_id}/accept", {"confirm": "y"})
    assert response.status_code == 503
    assert zh(DOWN) in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Deal.id))) == 0  # nothing half-written
    assert db.session.scalar(db.select(db.func.count(Payment.id))) == 0
    assert db.session.scalar(db.select(Bid.status)) == "active"

    proxy.restore()
    response = post(client, f"/bids/{bid_id}/accept", {"confirm": "y"})  # the user retries
    assert response.status_code == 302
    again = post(client, f"/bids/{bid_id}/accept", {"confirm": "y"})  # and once more
    assert again.status_code == 409
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Deal.id))) == 1
    payment = db.session.scalar(db.select(Payment))
    assert payment.status == "authorised"
    gateway = app.extensions["payments"]
    intents = [i for k, i in reconcile_all(gateway).items() if k == payment.idempotency_key]
    assert len(intents) == 1 and intents[0]["id"] == payment.intent_id


def reconcile_all(gateway):
    """The session's localstripe is shared by every test: only this test's rows count."""
    return reconcile(gateway, only_known=True)
