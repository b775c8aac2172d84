"""Redis stopped under the production configuration (rate limits, the job queue and the
matching change notices all on one private redis-server that the test stops and starts):

- pages and the API go on working: change notices fall back to polling, and rate limits
  *fail open to each process's own memory* (flask-limiter's in-memory fallback, the
  production default: a login form stays usable; each process still limits on its own,
  so the limit is at most workers × the configured one while Redis is down);
- /readyz says 503 naming Redis, so a balancer can tell;
- `flask payments retry` cannot queue and retries inline instead; the scheduler's
  `--once` says plainly that nothing was queued;
- once Redis is back, everything is as before, without a restart of the app."""

import shutil
import subprocess
import time

import pytest
from redis import Redis
from redis.exceptions import RedisError

from market.app import create_app
from market.config import TestConfig
from market.deals import services
from market.deals.models import Payment
from market.extensions import db
from market.listings.models import Bid
from tests import factories
from tests.conftest import csrf_token
from tests.functional.test_api import bearer
from tests.localstripe_server import free_port


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return self
            except RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)


@pytest.fixture()
def redis_server():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture()
def production_app(app, redis_server):
    """The test app's database and gateway, with Redis configured as in production."""

    class Production(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        STRIPE_API_BASE = app.config["STRIPE_API_BASE"]
        REDIS_URL = redis_server.url
        REDIS_PREFIX = "faults"
        RATELIMIT_STORAGE_URI = redis_server.url
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
        LOGIN_RATE_LIMIT = "1000 per minute"

    prod = create_app(Production)
    yield prod
    with prod.app_context():
        db.engine.dispose()


def login(client, user):
    token = csrf_token(client, "/login")
    data = {"email": user.email, "password": factories.PASSWORD, "csrf_token": token}
    return client.post("/login", data=data)


def test_redis_stopped_and_started_again(production_app, redis_server, world):
    lot = factories.steel_lot(world.generator)
    recycler = factories.bidder()
    db.session.commit()
    api = bearer(recycler)
    # a payment left pending, for the scheduler's retry
    factories.bid(recycler, lot, price="2300", quantity="20")
    db.session.commit()
    deal = services.accept_bid(world.generator, db.session.scalar(db.select(Bid.id)))
    db.session.commit()
    payment_id = deal.payment.id
    client = production_app.test_client()
    runner = production_app.test_cli_runner()

    def cli(*args):  # in the production app's context, not the test app's
        with production_app.app_context():
            return runner.invoke(args=list(args))

    assert client.get("/readyz").json["checks"]["redis"]["status"] == "ok"
    assert login(client, recycler).status_code == 302
    assert client.get("/listings/").status_code == 200
    assert Redis.from_url(redis_server.url).keys("*"), "nothing in Redis"  # limits

    redis_server.stop()
    started = time.monotonic()
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["redis"]["status"] == "down"
    assert client.get("/listings/").status_code == 200  # notices: polling instead
    assert client.get(f"/listings/supply/{lot.id}").status_code == 200
    client.get("/logout")
    assert login(client, recycler).status_code == 302  # the rate limit fails open
    assert client.get("/api/v1/me", headers=api).status_code == 200
    assert time.monotonic() - started < 15  # short timeouts: nothing hangs

    result = cli("payments", "retry")
    assert result.exit_code == 0, result.output
    assert "retrying here" in result.output and "authorised: 1" in result.output
    result = cli("jobs", "scheduler", "--once")
    assert result.exit_code == 1 and "Redis unavailable, nothing queued" in result.output
    db.session.rollback()
    assert db.session.get(Payment, payment_id).status == "authorised"

    redis_server.start()  # same port, empty
    deadline = time.monotonic() + 10
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "not ready again after Redis came back"
        time.sleep(0.2)
    assert client.get("/listings/").status_code == 200
    result = cli("jobs", "scheduler", "--once")
    assert result.exit_code == 0 and "payments retry" in result.output, result.output
    client.get("/logout")
    assert login(client, recycler).status_code == 302
    assert Redis.from_url(redis_server.url).keys("*")  # limits back in Redis
