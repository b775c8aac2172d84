"""Domain exceptions and how they turn into error pages or JSON errors."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


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


def register_error_handlers(app: Flask) -> None:
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
        from market.extensions import db

        db.session.rollback()
        app.logger.exception("unhandled error")
        return error_response(500, _("Something went wrong on our side."))
