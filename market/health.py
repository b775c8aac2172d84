"""Probes for a load balancer or process manager: /healthz (this process answers; it
touches nothing else) and /readyz (the database, Redis when configured and the payment
gateway answer; 503 naming the one that does not)."""

import time
import urllib.error
import urllib.request

from flask import Blueprint, current_app
from sqlalchemy import text

from market.extensions import db, limiter, redis_client

bp = Blueprint("health", __name__)
TIMEOUT = 2.0  # seconds per check: a probe must answer before the balancer gives up
STRIPE_API = "https://api.stripe.com"


@bp.get("/healthz")
@limiter.exempt
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
@limiter.exempt
def readyz():
    checks = {
        "database": _timed(_database),
        "redis": _timed(_redis) if redis_client() is not None else {"status": "not configured"},
        "gateway": _timed(_gateway),
    }
    ready = all(c["status"] != "down" for c in checks.values())
    body = {"status": "ready" if ready else "unavailable", "checks": checks}
    return body, 200 if ready else 503


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure means "not ready"; say which kind
        result = {"status": "down", "error": type(exc).__name__}
    else:
        result = {"status": "ok"}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database() -> None:
    try:
        db.session.execute(text("SELECT 1"))
    finally:
        db.session.rollback()


def _redis() -> None:
    redis_client().ping()


def _gateway() -> None:
    """Reachable: any HTTP answer from the gateway's address (its root answers 401 or 404
    without a key); a refused connection, a timeout or a name that does not resolve is not."""
    url = current_app.config["STRIPE_API_BASE"] or STRIPE_API
    try:
        urllib.request.urlopen(url, timeout=TIMEOUT).close()  # the configured gateway only
    except urllib.error.HTTPError:
        return
