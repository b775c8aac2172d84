"""Domain exceptions and how they turn into error pages or JSON errors."""

import logging

from flask import Flask, current_app, jsonify, render_template, request, session
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)
RETRY_AFTER = 5  # seconds: what a 503 asks the client to wait (a restart, a failover)


class DomainError(Exception):
    """A rule refused the request; `message` is already in the user's language."""

    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str, errors: dict | None = None):
    if wants_json():
        body = {"error": {"status": status, "message": message}}
        if errors:
            body["error"]["fields"] = errors
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


def _http_message(exc: HTTPException) -> str:
    messages = {
        400: _("The request could not be understood."),
        401: _("Please log in first."),
        403: _("You may not see or change this."),
        404: _("Nothing is here."),
        405: _("This method is not allowed here."),
        413: _("The upload is too large."),
        429: _("Too many attempts. Please wait a moment and try again."),
    }
    return messages.get(exc.code or 500, _("Something went wrong on our side."))


def _rollback_quietly() -> None:
    """Roll the request's session back; with the database gone that may fail too, and the
    pool then drops the connection (pool_pre_ping checks the next one it hands out)."""
    from market.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 — the outage itself; nothing more to undo
        db.session.remove()


def _database_down(exc: DBAPIError) -> bool:
    """A lost or refused connection (a restart, a failover, a cut network), not a bad
    query: psycopg's OperationalError/InterfaceError, or a connection SQLAlchemy has
    invalidated."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    return bool(exc.connection_invalidated) or isinstance(exc, OperationalError | InterfaceError)


def _outage_locale() -> str:
    """The request's language without asking the database: the one already chosen in this
    request, else the session's choice or the browser's, else Chinese."""
    languages = current_app.config["LANGUAGES"]
    try:
        return str(get_locale())
    except Exception:  # noqa: BLE001 — choosing it would read the user from the database
        chosen = session.get("lang")
        if chosen in languages:
            return chosen
        return request.accept_languages.best_match(languages, default="zh_CN")


def unavailable_response(message):
    """503 with a message in the user's language and Retry-After, rendered without the
    database (the usual page template reads the signed-in user and counters from it).
    `message` is lazy (_l): it is worded once the language is known."""
    headers = {"Retry-After": str(RETRY_AFTER)}
    locale = _outage_locale()
    with force_locale(locale):
        text = str(message)
        if wants_json():
            body = {"error": {"status": 503, "message": text, "retry_after": RETRY_AFTER}}
            return jsonify(body), 503, headers
        # Straight from the template, without the context processors: flask-login's
        # would load the signed-in user from the database that is not there.
        page = current_app.jinja_env.get_template("errors/unavailable.html").render(
            message=text, locale=locale, retry_after=RETRY_AFTER, request=request
        )
    return page, 503, headers


def _end_session(exc: BaseException | None) -> None:
    """End the request's session before flask-sqlalchemy's own teardown does (teardowns
    run last-registered first). Ending it rolls back; when the database went away after
    the response was made, that ROLLBACK fails — the answer already made must still go
    out (not a bare 500 from the server), and the dead connection is dropped."""
    from market.extensions import db

    try:
        db.session.remove()
    except DBAPIError as error:
        log.warning("session ended on a lost connection: %s", type(error.orig).__name__)
        try:
            db.session.close()  # its connection is invalidated by now: this drops it
        except DBAPIError:
            pass
        db.session.registry.clear()


def register_error_handlers(app: Flask) -> None:
    from market.deals.gateway import GatewayUnavailable  # deals build on errors, not back

    app.teardown_appcontext(_end_session)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        _rollback_quietly()
        if not _database_down(exc):
            app.logger.exception("database error")
            return error_response(500, _("Something went wrong on our side."))
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        return unavailable_response(
            _l("The database is briefly unavailable; please try again in a moment.")
        )

    @app.errorhandler(RedisConnectionError)
    @app.errorhandler(RedisTimeoutError)
    def redis_error(exc: Exception):
        _rollback_quietly()
        log.warning("redis unavailable: %s", exc)
        return unavailable_response(
            _l("A service is briefly unavailable; please try again in a moment.")
        )

    @app.errorhandler(GatewayUnavailable)
    def gateway_error(exc: Exception):
        _rollback_quietly()
        log.warning("payment gateway unavailable: %s", exc)
        return unavailable_response(
            _l("The payment service is unreachable; nothing was changed. Try again later.")
        )

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        from market.extensions import db

        db.session.rollback()
        errors = {exc.field: [exc.message]} if exc.field else None
        return error_response(exc.status, exc.message, errors)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = _("The form has expired or was not sent from this site. Please reload it.")
        return error_response(400, message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        body, status = error_response(exc.code or 500, _http_message(exc))
        # Keep the exception's own headers (Allow on a 405, Retry-After on a 429).
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return body, status, headers

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        _rollback_quietly()
        app.logger.exception("unhandled error")
        return error_response(500, _("Something went wrong on our side."))
