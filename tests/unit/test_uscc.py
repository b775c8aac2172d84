import pytest

from market.accounts import uscc

VALID = ["91110000101623741K", "911101066976941872", "91110108551385082Q", "91350100M000100Y43"]
INVALID_CHECK = ["91350100M000100Y4A", "91310115MA1H8R7C6D"]


@pytest.mark.parametrize("code", VALID)
def test_published_codes_pass_the_check(code):
    assert uscc.validate(code) == code


@pytest.mark.parametrize("code", INVALID_CHECK)
def test_wrong_check_character_is_refused_with_the_expected_one(code):
    with pytest.raises(uscc.UsccError) as info:
        uscc.validate(code)
    assert info.value.reason == "check"
    assert info.value.expected != code[-1]


def test_lowercase_and_spaces_are_normalised():
    assert uscc.validate(" 91110108 551385082q ") == "91110108551385082Q"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("9111010855138508", "length"),
        ("91110108551385082QQ", "length"),
        ("", "length"),
        ("9111010855138508IQ", "characters"),  # I is not in the alphabet
        ("91AB0108551385082Q", "characters"),  # region must be digits
    ],
)
def test_malformed_codes_say_what_is_wrong(raw, reason):
    with pytest.raises(uscc.UsccError) as info:
        uscc.validate(raw)
    assert info.value.reason == reason


def test_every_single_character_change_is_caught():
    code = VALID[2]
    for pos in range(18):
        for ch in uscc.ALPHABET:
            if ch == code[pos] or (2 <= pos < 8 and not ch.isdigit()):
                continue
            assert not uscc.is_valid(code[:pos] + ch + code[pos + 1 :])


def test_make_builds_codes_that_validate():
    code = uscc.make("91", "110302", "MA01ABC12")
    assert uscc.is_valid(code)
