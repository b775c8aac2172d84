"""Test app and database: migrations once per session, rows wiped after each test.

SQLite (a temporary file) by default; set TEST_DATABASE_URL to run the same suite
on PostgreSQL, e.g. postgresql://postgres@127.0.0.1:5432/test.
"""

import os
import re
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

_tmp = tempfile.TemporaryDirectory(prefix="market-tests-")
os.environ.setdefault("TEST_DATABASE_URL", f"sqlite:///{Path(_tmp.name) / 'test.db'}")

from market.app import create_app  # noqa: E402
from market.config import TestConfig  # noqa: E402
from market.extensions import db  # noqa: E402
from tests import factories  # noqa: E402
from tests.localstripe_server import LocalStripe  # noqa: E402
from tests.redis_support import redis_down, redis_on  # noqa: E402,F401  (fixtures)

KEPT = ("parks", "code_editions", "waste_codes", "waste_aliases")
WIPED = (
    "facilitator_suggestions",
    "licence_events",
    "enterprise_events",
    "invitations",
    "password_resets",
    "warning_files",
    "warning_events",
    "warnings",
    "park_warning_settings",
    "credit_events",
    "credit_evidence",
    "credit_appeals",
    "credit_marks",
    "credit_evaluations",
    "credit_violations",
    "credit_checklist_items",
    "park_credit_settings",
    "park_flow_summary",
    "manifest_events",
    "manifest_versions",
    "manifests",
    "manifest_serials",
    "filing_amendments",
    "filings",
    "filing_tiers",
    "park_calendar_days",
    "park_manifest_settings",
    "match_digests",
    "thread_reads",
    "thread_messages",
    "threads",
    "message_reads",
    "messages",
    "payment_events",
    "payments",
    "deal_events",
    "deals",
    "match_notices",
    "bid_invitations",
    "bid_events",
    "bids",
    "park_match_settings",
    "listing_events",
    "listing_attachments",
    "demand_listing_codes",
    "supply_listings",
    "demand_listings",
    "licence_codes",
    "licences",
    "api_tokens",
    "users",
    "enterprises",
    "park_sites",
)


def _reset_schema() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def stripe_server():
    server = LocalStripe().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(stripe_server):
    from flask_migrate import upgrade

    from market.deals.gateway import gateway_from_config

    app = create_app(TestConfig)
    app.config["STRIPE_API_BASE"] = stripe_server.url
    app.extensions["payments"] = gateway_from_config(app.config)
    with app.app_context():
        _reset_schema()
        upgrade()
        factories.base_catalogue()
        db.session.commit()
        baseline = {t: set(db.session.execute(text(f"SELECT id FROM {t}")).scalars()) for t in KEPT}
    app.config["BASELINE"] = baseline
    yield app
    with app.app_context():
        db.engine.dispose()


def _wipe(baseline) -> None:
    from market.matching import service

    service.reset()  # ids restart after a wipe; no index may outlive its rows
    db.session.rollback()
    with db.engine.begin() as conn:
        for table in WIPED:
            conn.execute(text(f"DELETE FROM {table}"))
        for table in ("waste_aliases", "waste_codes", "code_editions", "parks"):
            keep = baseline[table]
            rows = set(conn.execute(text(f"SELECT id FROM {table}")).scalars()) - keep
            for row_id in rows:
                conn.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": row_id})
        conn.execute(text("UPDATE code_editions SET retired_on = NULL"))
        conn.execute(text("UPDATE waste_codes SET retired = :f"), {"f": False})


@pytest.fixture()
def ctx(app):
    """An app context with a clean database; rows made in the test are removed after."""
    with app.test_request_context():
        yield
        _wipe(app.config["BASELINE"])
        db.session.remove()


@pytest.fixture()
def client(app, ctx):
    return app.test_client()


@pytest.fixture()
def world(ctx):
    return factories.World.make()


CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"'
    r'|name="csrf_token" value="([^"]+)"'
)


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client, user, password: str = factories.PASSWORD):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client
