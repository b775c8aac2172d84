"""Chinese phone numbers and card numbers, as the registration and payment forms read them."""

import pytest

from market.accounts import phone
from market.deals.forms import luhn_ok


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("(0755) 1234567", "0755-1234567"),
        ("021-87654321转123", "021-87654321 转 123"),
        ("0512 6666 8888", "0512-66668888"),
    ],
)
def test_mobile_and_landline_numbers_are_kept_in_one_form(typed, kept):
    assert phone.validate(typed) == kept


@pytest.mark.parametrize(
    "typed",
    ["abc", "", "12345", "12812345678", "1381234567", "138123456789", "010-123", "8888-12345678"],
)
def test_what_is_not_a_phone_number_is_refused(typed):
    with pytest.raises(ValueError):
        phone.validate(typed)


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("4242424242424242", True),
        ("4000000000000002", True),
        ("5555555555554444", True),
        ("4242424242424241", False),
        ("1234567812345678", False),
    ],
)
def test_the_card_check_digit(number, ok):
    assert luhn_ok(number) is ok
