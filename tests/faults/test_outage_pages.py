"""The 503 answers themselves, for each kind of outage, raised from a view of a fresh
app: the message in the user's language, Retry-After, the API's JSON shape, a page
rendered without the database; a database error that is not an outage stays a 500."""

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import IntegrityError, OperationalError

from market.app import create_app
from market.config import TestConfig
from market.deals.gateway import GatewayUnavailable
from tests.faults.conftest import zh

DB = "The database is briefly unavailable; please try again in a moment."
REDIS = "A service is briefly unavailable; please try again in a moment."
GATEWAY = "The payment service is unreachable; nothing was changed. Try again later."
FAULTS = {
    "database": (OperationalError("SELECT 1", {}, Exception("server closed")), DB),
    "redis": (RedisConnectionError("Connection refused"), REDIS),
    "gateway": (GatewayUnavailable("connection refused"), GATEWAY),
}


@pytest.fixture(scope="module")
def outage_app(app):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]

    fresh = create_app(Config)

    def fail(kind):
        if kind == "integrity":
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))
        raise FAULTS[kind][0]

    fresh.add_url_rule("/fault/<kind>", view_func=fail)
    fresh.add_url_rule("/api/fault/<kind>", "api_fail", view_func=fail)
    fresh.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 answered, as in production
    return fresh


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_each_outage_is_a_503_in_the_users_language(outage_app, kind):
    client = outage_app.test_client()
    message = FAULTS[kind][1]
    with outage_app.test_request_context():
        chinese_message = zh(message)
    page = client.get(f"/fault/{kind}")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert chinese_message in page.get_data(as_text=True)
    english = client.get(f"/api/fault/{kind}", headers={"Accept-Language": "en"})
    assert english.status_code == 503
    assert english.json == {"error": {"status": 503, "message": message, "retry_after": 5}}
    chinese = client.get(f"/api/fault/{kind}")
    assert chinese.json["error"]["message"] == chinese_message


def test_a_database_error_that_is_not_an_outage_stays_a_500(outage_app):
    response = outage_app.test_client().get("/api/fault/integrity")
    assert response.status_code == 500
