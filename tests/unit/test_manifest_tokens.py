"""Verification tokens: unguessable, fit the column, and anything else is refused by shape."""

import pytest

from market.manifests.tokens import TOKEN_LENGTH, looks_like_token, new_verify_token


def test_tokens_are_43_urlsafe_characters_and_never_repeat():
    tokens = {new_verify_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(t) == TOKEN_LENGTH == 43 and looks_like_token(t) for t in tokens)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1",
        "42",
        "A" * 42,
        "A" * 44,
        "A" * 42 + "=",
        "A" * 42 + "/",
        "../" + "A" * 40,
        "A" * 42 + "\n",
        "Ａ" * 43,
        None,
        12345,
        b"A" * 43,
    ],
)
def test_anything_not_shaped_like_a_token_is_refused(value):
    assert not looks_like_token(value)
