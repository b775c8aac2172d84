"""The API's plumbing: flask-smorest wired to the product's errors, bearer tokens, ids."""

from functools import wraps

import flask_smorest
from flask import g, request
from flask_babel import gettext as _
from webargs.core import missing
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter

from market.accounts.auth import user_from_bearer
from market.api.fields import ID_MAX, plain_numbers
from market.api.replies import ErrorReply
from market.errors import DomainError, error_response

VALIDATION_STATUS = 400
ID = "id"  # the converter below, as in "/deals/<id:deal_id>"


class IdConverter(IntegerConverter):
    """A row id. One beyond the id columns' range (2^31 - 1, up to 2^63 and past it) is 0,
    which no row has: the answer is the resource's own 404, never an overflow in the
    database. (Bounds on werkzeug's integer converter would answer 405 for other methods.)"""

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= ID_MAX else 0


def id_schema(converter) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": ID_MAX}


class Unauthorized(DomainError):
    status = 401


class InvalidInput(DomainError):
    """A body or query string that does not fit its schema; `fields` says where."""

    def __init__(self, message: str, fields: dict[str, list[str]]):
        super().__init__(message)
        self.fields = fields


def flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {"field" or "field.0": [text, ...]}."""
    if not isinstance(messages, dict):
        items = messages if isinstance(messages, list) else [messages]
        return {prefix or "_body": [str(m) for m in items]}
    out: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = "_body" if key == "_schema" else str(key)
        out.update(flatten(value, f"{prefix}.{name}" if prefix else name))
    return out


class Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = VALIDATION_STATUS

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1:
            messages = next(iter(messages.values()))  # drop webargs' location level
        fields = flatten(messages)
        name, texts = next(iter(fields.items()))
        raise InvalidInput(texts[0] if name == "_body" else f"{name}: {texts[0]}", fields)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise InvalidInput(_("The body must be a JSON object."), {})

    def load_json(self, req, schema):
        """A missing body (or one not sent as JSON) is refused unless the schema makes the
        body optional, rather than read as an empty object."""
        data = super().load_json(req, schema)
        if data is missing and not getattr(schema, "BODY_OPTIONAL", False):
            raise InvalidInput(_("The body must be a JSON object."), {})
        return data


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def fails(self, *statuses: int):
        """Document the error answers an operation may give, all in the product's shape."""

        def decorator(view):
            for status in statuses:
                view = self.alt_response(status, schema=ErrorReply, description=_DESCRIBED[status])(
                    view
                )
            return view

        return decorator


_DESCRIBED = {
    400: "invalid input or a refused rule; `fields` names the fields",
    401: "no valid bearer token",
    403: "not allowed for this user",
    404: "no such resource, or not visible to this user",
    409: "the resource's state does not allow this now",
}


class Api(flask_smorest.Api):
    """flask-smorest's spec and blueprints; errors stay with market.errors' handlers."""

    ERROR_SCHEMA = ErrorReply
    DEFAULT_ERROR_RESPONSE_NAME = None  # every answer an operation gives is listed, no catch-all

    def _register_error_handlers(self):
        pass

    def _init_spec(self, **kwargs):
        super()._init_spec(**kwargs)
        self.ma_plugin.converter.add_attribute_function(plain_numbers)


def invalid_input(exc: InvalidInput):
    return error_response(exc.status, exc.message, exc.fields)


def token_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        user = user_from_bearer(request.headers.get("Authorization", ""))
        if user is None:
            raise Unauthorized(_("A valid API token is required."))
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped
