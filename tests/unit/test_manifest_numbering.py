import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.manifests.numbering import (
    MAX_SERIAL,
    ManifestNumber,
    NumberError,
    format_number,
    is_valid,
    next_number,
    parse_number,
    sort_key,
)


def test_a_number_is_year_region_and_zero_padded_serial():
    assert format_number(2026, "110115", 42) == "2026110115000042"
    assert parse_number("2026110115000042") == ManifestNumber(2026, "110115", 42)


def test_typed_numbers_are_normalised():
    assert parse_number(" 2026-110115-000042 ") == ManifestNumber(2026, "110115", 42)
    assert parse_number("２０２６１１０１１５００００４２").serial == 42  # full-width digits
    assert parse_number("2026 370171 999999") == ManifestNumber(2026, "370171", MAX_SERIAL)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("", "length"),
        ("202611011500004", "length"),
        ("20261101150000421", "length"),
        ("2026110115O00042", "characters"),  # letter O for zero
        ("2026１１０１１５00004²", "characters"),  # superscript two is not an ASCII digit
        ("2021110115000042", "year"),
        ("2100110115000042", "year"),
        ("2026990115000042", "region"),  # no province 99
        ("2026110000000042", "region"),  # a province, not a park's prefecture or county
        ("2026710101000042", "region"),  # outside the mainland system
        ("2026110115000000", "serial"),
    ],
)
def test_bad_numbers_say_what_is_wrong(raw, kind):
    with pytest.raises(NumberError) as caught:
        parse_number(raw)
    assert caught.value.kind == kind
    assert not is_valid(raw)


@pytest.mark.parametrize(
    ("args", "kind"),
    [
        ((2026, "11015", 1), "region"),
        ((2026, "11011a", 1), "region"),
        ((2026, 110115, 1), "region"),
        ((2026, "110115", 0), "serial"),
        ((2026, "110115", MAX_SERIAL + 1), "serial"),
        ((2026, "110115", True), "serial"),
        ((1999, "110115", 1), "year"),
        (("2026", "110115", 1), "year"),
    ],
)
def test_formatting_refuses_bad_parts(args, kind):
    with pytest.raises(NumberError) as caught:
        format_number(*args)
    assert caught.value.kind == kind


def test_serials_start_at_one_and_overflow_clearly():
    assert next_number(2026, "110115") == ManifestNumber(2026, "110115", 1)
    assert next_number(2026, "110115", 41).serial == 42
    assert str(next_number(2026, "110115", MAX_SERIAL - 1)) == "2026110115999999"
    with pytest.raises(NumberError, match="all 999999 serials of 2026 in 110115 are used") as e:
        next_number(2026, "110115", MAX_SERIAL)
    assert e.value.kind == "overflow"
    with pytest.raises(NumberError):
        next_number(2026, "110115", -1)


def test_sorting_is_by_year_then_region_then_serial():
    numbers = ["2027110115000001", "2026370171000002", "2026110115000010", "2026110115000009"]
    assert sorted(numbers, key=sort_key) == [
        "2026110115000009",
        "2026110115000010",
        "2026370171000002",
        "2027110115000001",
    ]


@given(
    year=st.integers(2022, 2099),
    region=st.sampled_from(["110115", "370171", "320583", "650104"]),
    serial=st.integers(1, MAX_SERIAL),
)
def test_format_and_parse_round_trip_and_string_order_is_tuple_order(year, region, serial):
    text = format_number(year, region, serial)
    assert len(text) == 16
    assert parse_number(text) == (year, region, serial)
    other = format_number(2050, "370171", 500_000)
    assert (text < other) == (sort_key(text) < sort_key(other))
