"""Redis for the tests of the production profile: TEST_REDIS_URL (default database 7 of a
local server); a test that needs it is skipped, saying so, when it does not answer. Each
test gets its own key prefix (and so its own queue) and its keys are deleted after it."""

import os
from contextlib import contextmanager
from uuid import uuid4

import pytest
from redis import Redis
from redis.exceptions import RedisError

from market.extensions import redis_from_config

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
DOWN_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def redis_url_or_skip() -> str:
    try:
        Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping()
    except RedisError as exc:
        pytest.skip(f"Redis is not reachable at {TEST_REDIS_URL}: {exc}")
    return TEST_REDIS_URL


@contextmanager
def redis_configured(app, url: str):
    """The app as MARKET_REDIS_URL=url would configure it, for the length of the block."""
    prefix = f"test-{uuid4().hex[:10]}"
    saved = (app.extensions.get("redis"), app.config["REDIS_URL"], app.config["REDIS_PREFIX"])
    client = redis_from_config({"REDIS_URL": url})
    app.extensions["redis"] = client
    app.config.update(REDIS_URL=url, REDIS_PREFIX=prefix)
    try:
        yield client
    finally:
        app.extensions["redis"] = saved[0]
        app.config.update(REDIS_URL=saved[1], REDIS_PREFIX=saved[2])
        if url != DOWN_REDIS_URL:
            for pattern in (f"{prefix}*", f"rq:*{prefix}*"):
                for key in client.scan_iter(pattern):
                    client.delete(key)
            client.srem("rq:queues", f"rq:queue:{prefix}")


@pytest.fixture()
def redis_on(app, ctx):
    """The test's app with Redis configured (a real server; skipped when none answers)."""
    with redis_configured(app, redis_url_or_skip()) as client:
        yield client


@pytest.fixture()
def redis_down(app, ctx):
    """The test's app with Redis configured at an address where nothing answers."""
    with redis_configured(app, DOWN_REDIS_URL) as client:
        yield client
