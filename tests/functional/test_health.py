"""Probes and request logs of the production profile: /healthz answers while everything
else is down, /readyz names what is down with a 503, every response carries its request
id, and a JSON log has one line per request with the fields the README lists."""

import io
import json
import logging
from contextlib import contextmanager

import pytest

from market import logs
from market.app import create_app
from market.config import TestConfig
from tests.conftest import login

DOWN_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"  # nothing listens there
DOWN_GATEWAY = "http://127.0.0.1:1"


@contextmanager
def config(app, **values):
    saved = {k: app.config[k] for k in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(saved)


@pytest.fixture()
def dead_database_app(app):
    """An app whose database does not answer (everything else as the test app's)."""

    class DeadDatabase(TestConfig):
        SQLALCHEMY_DATABASE_URI = DOWN_DATABASE
        STRIPE_API_BASE = app.config["STRIPE_API_BASE"]

    return create_app(DeadDatabase)


def test_healthz_answers_while_the_database_is_down(dead_database_app):
    response = dead_database_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_ready_when_the_database_and_the_gateway_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ready"
    assert {k: v["status"] for k, v in body["checks"].items()} == {
        "database": "ok",
        "redis": "not configured",  # the demo and the tests run without Redis
        "gateway": "ok",
    }


def test_readyz_checks_redis_when_it_is_configured(client, redis_on):
    body = client.get("/readyz").json
    assert body["checks"]["redis"]["status"] == "ok"
    assert body["status"] == "ready"


def _down(response) -> dict:
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    return {k: v["status"] for k, v in response.json["checks"].items()}


def test_readyz_says_503_and_names_the_database_when_it_is_down(dead_database_app):
    response = dead_database_app.test_client().get("/readyz")
    assert _down(response) == {"database": "down", "redis": "not configured", "gateway": "ok"}
    assert response.json["checks"]["database"]["error"] == "OperationalError"
    assert "127.0.0.1" not in response.get_data(as_text=True)  # no address is given away


def test_readyz_says_503_and_names_redis_when_it_is_down(client, redis_down):
    response = client.get("/readyz")
    assert _down(response) == {"database": "ok", "redis": "down", "gateway": "ok"}


def test_readyz_says_503_and_names_the_gateway_when_it_is_unreachable(app, client):
    with config(app, STRIPE_API_BASE=DOWN_GATEWAY):
        response = client.get("/readyz")
    assert _down(response) == {"database": "ok", "redis": "not configured", "gateway": "down"}


def test_probes_are_not_rate_limited(app, client):
    with config(app, VERIFY_RATE_LIMIT="1 per minute", LOGIN_RATE_LIMIT="1 per minute"):
        statuses = {client.get(path).status_code for path in ["/healthz"] * 20}
    assert statuses == {200}


ROLES = ("anonymous", "generator", "recycler", "transporter", "admin")
# (route, role, expected status): the probes are for the balancer, open to anyone
MATRIX = [(path, role, 200) for path in ("/healthz", "/readyz") for role in ROLES]


@pytest.mark.parametrize("path,role,expected", MATRIX)
def test_probe_access(client, world, path, role, expected):
    if role != "anonymous":
        login(client, getattr(world, role))
    assert client.get(path).status_code == expected


def test_a_callers_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a2c:01"})
    assert response.headers["X-Request-ID"] == "lb-7f3a2c:01"


@pytest.mark.parametrize("given", [None, "", "two words", "x" * 200, "bad\u00e9id"])
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(client, given):
    headers = {"X-Request-ID": given} if given is not None else {}
    first = client.get("/", headers=headers).headers["X-Request-ID"]
    second = client.get("/", headers=headers).headers["X-Request-ID"]
    assert len(first) == 32 and int(first, 16) >= 0  # a uuid4 in hex
    assert first != second


@contextmanager
def captured_json_lines():
    """The request logger's lines as the production profile formats them."""
    stream = io.StringIO()
    handler = logs.json_handler()
    handler.setStream(stream)
    logger = logging.getLogger("market.request")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        lines += [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_request_makes_one_json_line_with_its_fields(client, world):
    login(client, world.generator)
    with captured_json_lines() as lines:
        response = client.get("/listings/", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 200
    (line,) = lines
    assert line["request_id"] == "req-42"
    assert line["method"] == "GET" and line["path"] == "/listings/" and line["status"] == 200
    assert line["user_id"] == world.generator.id
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["name"] == "market.request" and line["time"]
    assert line["message"] == "GET /listings/ 200"


def test_an_anonymous_request_logs_no_user_and_an_error_logs_its_status(client):
    with captured_json_lines() as lines:
        client.get("/healthz")
        client.get("/no-such-page")
    assert [(x["path"], x["status"], x["user_id"]) for x in lines] == [
        ("/healthz", 200, None),
        ("/no-such-page", 404, None),
    ]
    assert lines[0]["request_id"] != lines[1]["request_id"]


def test_json_logs_replace_the_root_handlers_once_and_plain_logs_leave_them(app):
    root = logging.getLogger()
    named = [logging.getLogger(name) for name in logs.INFO_LOGGERS]
    saved = (list(root.handlers), root.level, [x.level for x in named])

    class Json(TestConfig):
        LOG_FORMAT = "json"
        STRIPE_API_BASE = app.config["STRIPE_API_BASE"]

    try:
        create_app(TestConfig)
        assert not any(getattr(h, "market_json", False) for h in root.handlers)
        create_app(Json)
        create_app(Json)
        assert [getattr(h, "market_json", False) for h in root.handlers] == [True]
        # The product's lines at INFO; a library's only from WARNING on.
        assert logging.getLogger("market.request").isEnabledFor(logging.INFO)
        assert logging.getLogger("rq.worker").isEnabledFor(logging.INFO)
        assert not logging.getLogger("fontTools.subset").isEnabledFor(logging.INFO)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for logger, level in zip(named, saved[2], strict=True):
            logger.setLevel(level)


def test_behind_a_balancer_the_clients_address_is_the_forwarded_one(app):
    """What the request log shows and the limiter keys on (request.remote_addr)."""

    class BehindOne(TestConfig):
        PROXY_HOPS = 1
        STRIPE_API_BASE = app.config["STRIPE_API_BASE"]

    behind = create_app(BehindOne)
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    with captured_json_lines() as lines:
        behind.test_client().get("/healthz", headers=forwarded)
        app.test_client().get("/healthz", headers=forwarded)  # no proxy trusted: not believed
    assert [x["remote_addr"] for x in lines] == ["203.0.113.7", "127.0.0.1"]
