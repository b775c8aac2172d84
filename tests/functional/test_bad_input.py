"""Bad input gets a clear 4xx in the user's language and changes nothing."""

from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape

from market import clock
from market.accounts.models import Enterprise, User
from market.extensions import db
from market.listings.models import ListingEventRow, SupplyListing
from tests import factories
from tests.conftest import csrf_token, login

TODAY = clock.today()


def zh(message: str, **kwargs) -> str:
    """The message as a Chinese user sees it; it must really be translated."""
    with force_locale("zh_CN"):
        text = gettext(message, **kwargs)
    assert text != message % kwargs if kwargs else text != message, f"untranslated: {message}"
    return text


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def supply_form(**overrides) -> dict:
    data = {
        "waste_code": "900-214-08",
        "title": "废机油 5 吨",
        "local_name": "废机油",
        "quantity": "5",
        "unit": "t",
        "recurrence": "once",
        "available_from": str(TODAY),
        "available_until": str(TODAY + timedelta(days=30)),
        "asking_price_yuan": "1500",
        "bidding_mode": "open",
    }
    data.update(overrides)
    return data


def register_form(**overrides) -> dict:
    data = {
        "name": "新企业有限公司",
        "uscc": factories.valid_uscc(),
        "roles": ["generator"],
        "park_id": str(factories.park().id),
        "address": "科创街1号",
        "lat": "39.8",
        "lon": "116.5",
        "contact_name": "李工",
        "contact_phone": "13900000000",
        "user_name": "李工",
        "email": "li@new.example",
        "password": "long-enough-1",
        "confirm": "long-enough-1",
    }
    data.update(overrides)
    return data


def post_register(client, **overrides):
    data = register_form(**overrides)
    data["csrf_token"] = csrf_token(client, "/register")
    return client.post("/register", data=data)


def test_register_with_a_valid_code_creates_enterprise_and_user(client):
    response = post_register(client)
    assert response.status_code == 302
    assert count(Enterprise) == 1 and count(User) == 1


@pytest.mark.parametrize(
    ("uscc", "message"),
    [
        (
            "91110108551385082A",
            "The check character is wrong: this is not a valid unified social credit code.",
        ),
        ("9111010855138", "A unified social credit code has 18 characters."),
    ],
)
def test_a_wrong_uscc_is_refused_with_a_message_and_nothing_is_saved(client, uscc, message):
    response = post_register(client, uscc=uscc)
    assert response.status_code == 400
    assert zh(message) in response.get_data(as_text=True)
    assert count(Enterprise) == 0 and count(User) == 0


def test_a_duplicate_enterprise_is_refused(client):
    code = factories.valid_uscc()
    assert post_register(client, uscc=code).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    response = post_register(client, uscc=code, email="other@new.example")
    assert response.status_code == 409 or response.status_code == 400
    assert zh(
        "An enterprise with this unified social credit code is already registered."
    ) in response.get_data(as_text=True)
    assert count(Enterprise) == 1 and count(User) == 1


def test_coordinates_outside_china_are_refused_at_registration(client):
    response = post_register(client, lat="48.85", lon="2.35")  # Paris
    assert response.status_code == 400
    assert zh("The coordinates are outside China.") in response.get_data(as_text=True)
    assert count(Enterprise) == 0


def test_a_duplicate_email_leaves_no_enterprise_behind(client, world):
    before = count(Enterprise)
    response = post_register(client, email=world.generator.email)
    assert response.status_code in (400, 409)
    assert zh("This email address is already registered.") in response.get_data(as_text=True)
    assert count(Enterprise) == before  # no half-registered enterprise without its user


def post_supply(client, **overrides):
    data = supply_form(**overrides)
    data["csrf_token"] = csrf_token(client, "/listings/supply/new")
    return client.post("/listings/supply/new", data=data)


BAD_SUPPLY = [
    ({"waste_code": "999-999-99"}, "Unknown waste code %(code)s.", {"code": "999-999-99"}),
    ({"quantity": "0"}, "Number must be between %(min)s and %(max)s.", None),
    ({"quantity": "-3"}, "Number must be between %(min)s and %(max)s.", None),
    ({"quantity": "NaN"}, "Enter a finite number.", None),
    ({"quantity": "Infinity"}, "Enter a finite number.", None),
    ({"quantity": "99999999999999"}, "Number must be between %(min)s and %(max)s.", None),
    ({"lat": "51.5", "lon": "-0.12"}, "The coordinates are outside China.", None),
    (
        {"available_until": str(TODAY - timedelta(days=1))},
        "The end date is before the start date.",
        None,
    ),
    ({"title": "长" * 10_000}, "Field cannot be longer than %(max)d characters.", None),
    ({"asking_price_yuan": "1e12"}, "Number must be between %(min)s and %(max)s.", None),
    ({"unit": "m3"}, "Give the weight of one unit in kilograms (1 to 10,000,000).", None),
]


@pytest.mark.parametrize(
    ("overrides", "message", "kwargs"),
    BAD_SUPPLY,
    ids=[next(iter(o)) + "=" + str(next(iter(o.values())))[:20] for o, _m, _k in BAD_SUPPLY],
)
def test_bad_supply_input_is_refused_and_nothing_is_written(
    client, world, overrides, message, kwargs
):
    login(client, world.generator)
    response = post_supply(client, **overrides)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    if kwargs is not None:
        assert zh(message, **kwargs) in body
    elif "%(" not in message:
        assert zh(message) in body
    else:
        assert "invalid-feedback" in body  # a WTForms range message beside the field
    assert count(SupplyListing) == 0 and count(ListingEventRow) == 0


def test_a_retired_code_is_refused(client, world):
    from market.catalog.models import CodeEdition
    from market.catalog.services import retire_edition

    edition = db.session.execute(db.select(CodeEdition).filter_by(scheme="HW")).scalar_one()
    retire_edition(edition, TODAY)
    db.session.commit()
    login(client, world.generator)
    response = post_supply(client)
    assert response.status_code == 400
    assert zh(
        "Waste code %(code)s is retired or not in your park's catalogue.", code="900-214-08"
    ) in response.get_data(as_text=True)
    assert count(SupplyListing) == 0


def test_html_in_text_fields_is_stored_as_typed_and_shown_escaped(client, world):
    login(client, world.generator)
    script = "<script>alert('x')</script><b>粗</b>"
    response = post_supply(client, title=script[:100], description=script, publish="1")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert script not in page
    assert str(escape(script)) in page


def test_a_listing_cannot_be_edited_by_another_enterprise(client, world):
    listing = factories.supply(world.generator)
    db.session.commit()
    login(client, world.other)
    data = supply_form(title="hijacked")
    data["csrf_token"] = csrf_token(client, "/account")
    response = client.post(f"/listings/supply/{listing.id}/edit", data=data)
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(SupplyListing, listing.id).title != "hijacked"


@pytest.mark.parametrize("token", [None, "stale-or-forged-token"])
def test_a_missing_or_stale_csrf_token_is_refused(client, world, token):
    login(client, world.generator)
    data = supply_form()
    if token:
        data["csrf_token"] = token
    response = client.post("/listings/supply/new", data=data)
    assert response.status_code == 400
    assert zh(
        "The form has expired or was not sent from this site. Please reload it."
    ) in response.get_data(as_text=True)
    assert count(SupplyListing) == 0


def test_withdrawing_twice_is_a_conflict_not_a_crash(client, world):
    listing = factories.supply(world.generator)
    db.session.commit()
    login(client, world.generator)
    url = f"/listings/supply/{listing.id}/withdraw"
    sure = {"confirm": "y"}
    assert client.post(url, data={"csrf_token": csrf_token(client, "/account")}).status_code == 400
    assert client.post(url, data={"csrf_token": csrf_token(client), **sure}).status_code == 302
    again = client.post(url, data={"csrf_token": csrf_token(client, "/account"), **sure})
    assert again.status_code == 409
    events = db.session.scalar(
        db.select(db.func.count(ListingEventRow.id)).filter_by(
            supply_listing_id=listing.id, event="withdraw"
        )
    )
    assert events == 1


def test_unknown_pages_and_ids_are_404_not_500(client, world):
    login(client, world.generator)
    for path in (
        "/listings/supply/999999",
        "/listings/bogus/1",
        "/nowhere",
        "/listings/?page=-5",
        "/listings/?within_km=abc",
    ):
        assert client.get(path).status_code in (400, 404), path


def test_login_attempts_are_rate_limited(app, client, world):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        token = csrf_token(client, "/login")
        statuses = [
            client.post(
                "/login",
                data={
                    "email": world.generator.email,
                    "password": "wrong",
                    "csrf_token": token,
                },
            ).status_code
            for _ in range(5)
        ]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert statuses[:3] == [400, 400, 400]
    assert statuses[3:] == [429, 429]


def test_session_cookie_flags(client, world):
    login(client, world.generator)
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"
