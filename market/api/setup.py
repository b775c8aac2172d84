"""Mounting the API on the app: its routes, converters and the OpenAPI settings."""

from flask import Flask

from market.api import credit, ledgers, manifests, threads, trading, warnings  # noqa: F401
from market.api.base import Api, IdConverter, id_schema
from market.api.views import bp

SPEC = {
    "API_TITLE": "Waste exchange API",
    "API_VERSION": "1.0.0",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": "Bearer token per user; create one on the account page. Errors are "
            '`{"error": {"status", "message", "fields"}}` in the language of Accept-Language '
            "(Chinese by default); a body or query string that does not fit its schema is a "
            "400 whose `fields` name what is wrong.",
        },
        "security": [{"token": []}],
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
    },
}


def init_api(app: Flask) -> None:
    for key, value in SPEC.items():
        app.config.setdefault(key, value)
    app.url_map.converters["id"] = IdConverter
    api = Api(app)
    api.register_converter(IdConverter, id_schema)
    api.register_blueprint(bp)


__all__ = ["init_api"]
