"""Request ids and logs: every response carries an X-Request-ID (the caller's, or a new
one); with LOG_FORMAT = json every log line is one JSON object and each request adds one
line (method, path, status, duration, user, request id). Plain logs otherwise (the demo)."""

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, request

log = logging.getLogger("market.request")
HEADER = "X-Request-ID"
# A caller's id is kept when it looks like one (a load balancer's UUID or trace id);
# anything else (too long, spaces, control characters) is replaced, not echoed.
SAFE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
INFO_LOGGERS = ("market", "rq.worker")


def request_id() -> str:
    given = request.headers.get(HEADER, "")
    return given if SAFE_ID.fullmatch(given) else uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Every line logged while a request is served names its request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        from flask import has_request_context

        if has_request_context() and "request_id" in g and not hasattr(record, "request_id"):
            record.request_id = g.request_id
        return True


def json_handler() -> logging.Handler:
    from pythonjsonlogger.json import JsonFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(FIELDS, rename_fields={"asctime": "time", "levelname": "level"})
    )
    handler.addFilter(RequestIdFilter())
    handler.market_json = True  # one per process, however many apps it creates
    return handler


def configure(app: Flask) -> None:
    if app.config.get("LOG_FORMAT") == "json":
        root = logging.getLogger()
        if not any(getattr(h, "market_json", False) for h in root.handlers):
            for old in list(root.handlers):
                root.removeHandler(old)
            root.addHandler(json_handler())
        # Libraries say only what goes wrong; the product and the job worker say what
        # they do (a line per request, per job, per scheduled round).
        root.setLevel(logging.WARNING)
        for name in INFO_LOGGERS:
            logging.getLogger(name).setLevel(logging.INFO)
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    g.request_id = request_id()
    g.request_started = time.perf_counter()


def _finish(response):
    rid = g.get("request_id") or request_id()
    response.headers[HEADER] = rid
    started = g.get("request_started")
    log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "request_id": rid,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "user_id": _user_id(),
            "remote_addr": request.remote_addr,
        },
    )
    return response


def _user_id() -> int | None:
    # Only a user this request already loaded: logging must not reach the database
    # (a /healthz line while the database is down would fail).
    # Its identity, not its `id` attribute: after a rollback (the database went away
    # mid-request) reading an attribute would try to load it again.
    from sqlalchemy import inspect

    user = g.get("_login_user")
    state = inspect(user, raiseerr=False) if user is not None else None
    identity = state.identity if state is not None else None
    return identity[0] if identity else None
