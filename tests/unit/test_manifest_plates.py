import pytest

from market.manifests.plates import (
    PROVINCES,
    Plate,
    PlateError,
    PlateKind,
    PlateProblem,
    normalise_plate,
    parse_plate,
)

K, P = PlateKind, PlateProblem


@pytest.mark.parametrize(
    ("raw", "plate"),
    [
        ("鲁A12345", Plate("鲁A12345", K.ORDINARY)),
        ("京BX7Y2Z", Plate("京BX7Y2Z", K.ORDINARY)),
        ("粤Z0000A", Plate("粤Z0000A", K.ORDINARY)),
        ("鲁A1234挂", Plate("鲁A1234挂", K.TRAILER)),
        ("冀R5G9Z挂", Plate("冀R5G9Z挂", K.TRAILER)),
        ("京AD12345", Plate("京AD12345", K.NEW_ENERGY_SMALL)),
        ("沪AFK1234", Plate("沪AFK1234", K.NEW_ENERGY_SMALL)),
        ("苏E12345F", Plate("苏E12345F", K.NEW_ENERGY_LARGE)),
        ("浙B00001D", Plate("浙B00001D", K.NEW_ENERGY_LARGE)),
    ],
)
def test_valid_plates_of_each_kind(raw, plate):
    assert parse_plate(raw) == plate


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("鲁a·12345", "鲁A12345"),
        (" 鲁 A 1 2 3 4 5 ", "鲁A12345"),
        ("鲁Ａ１２３４５", "鲁A12345"),  # full-width letter and digits
        ("鲁A・12345", "鲁A12345"),  # katakana middle dot, as some input methods type it
        ("鲁A-1234挂", "鲁A1234挂"),
        ("京ad\u300012345", "京AD12345"),  # ideographic space
        ("鲁A.12345", "鲁A12345"),
    ],
)
def test_typing_variants_are_normalised(raw, normalised):
    assert normalise_plate(raw) == normalised


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", P.EMPTY),
        (" · ", P.EMPTY),
        (None, P.EMPTY),
        ("鲁A1234", P.WRONG_LENGTH),
        ("鲁A1234567", P.WRONG_LENGTH),
        ("鲁A12345挂", P.WRONG_LENGTH),  # a trailer has 4 before 挂
        ("鲁A123挂", P.WRONG_LENGTH),
        ("台A12345", P.UNKNOWN_PROVINCE),
        ("AA12345", P.UNKNOWN_PROVINCE),
        ("WJ12345", P.UNKNOWN_PROVINCE),
        ("鲁I12345", P.BAD_LETTER),
        ("鲁O12345", P.BAD_LETTER),
        ("鲁112345", P.BAD_LETTER),
        ("鲁A1234O", P.BAD_CHARACTER),
        ("鲁AI2345", P.BAD_CHARACTER),
        ("鲁A12鲁45", P.BAD_CHARACTER),
        ("鲁A1O34挂", P.BAD_CHARACTER),
        ("京A1234警", P.SPECIAL_USE),
        ("粤Z1234港", P.SPECIAL_USE),
        ("京A1234学", P.SPECIAL_USE),
        ("使123456", P.SPECIAL_USE),
        ("京A123456", P.NEW_ENERGY_PATTERN),  # 8 characters, no D/F
        ("京AE12345", P.NEW_ENERGY_PATTERN),  # E is not D/F
        ("京AD1234A", P.NEW_ENERGY_PATTERN),  # small: the last four are digits
        ("京A1234DD", P.NEW_ENERGY_PATTERN),  # large: the first five are digits
        ("京AD12I45", P.BAD_CHARACTER),
        ("京AI12345", P.BAD_CHARACTER),
    ],
)
def test_each_kind_of_bad_plate_says_what_is_wrong(raw, problem):
    with pytest.raises(PlateError) as caught:
        parse_plate(raw)
    assert caught.value.problem == problem


def test_every_mainland_province_is_known():
    assert len(PROVINCES) == 31
    for province in PROVINCES:
        assert parse_plate(f"{province}A12345").kind == K.ORDINARY


def test_the_error_carries_the_normalised_text():
    with pytest.raises(PlateError) as caught:
        parse_plate("鲁i 12345")
    assert caught.value.plate == "鲁I12345"
