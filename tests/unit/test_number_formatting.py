"""market.formatting.decimal formats as Babel's format_decimal does, in every language the
app speaks, for the values the pages show (weights, prices, distances, counts), including
the ties where rounding rules differ (half to even, a float's shortest repr)."""

import random
from decimal import Decimal

import pytest
from babel.numbers import format_decimal

from market import formatting


def _values():
    rng = random.Random(2026)
    ties = [0.05, 0.15, 0.25, 2.675, 1.0005, 12.345, 99.95, 999.9999]
    exact = [Decimal(x) for x in ("0.125", "2.5", "1234.5675", "0.0005", "1E+3", "12.300")]
    values = [0, 1, 999, 1000, 1234567, 10**12, *ties, *exact, -1, -0.04, -1234.5]
    for _ in range(3000):
        kind = rng.randrange(4)
        if kind == 0:
            values.append(rng.randrange(0, 10**10))
        elif kind == 1:
            values.append(rng.uniform(0, 5000))
        elif kind == 2:
            values.append(round(rng.uniform(0, 500), rng.randrange(1, 5)))
        else:
            values.append(Decimal(rng.randrange(0, 10**9)) / 1000)
    return values


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("pattern", sorted(formatting.PATTERNS))
def test_the_fast_path_writes_what_babel_writes(app, locale, pattern):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(locale):
        for value in _values():
            expected = format_decimal(value, format=pattern, locale=locale)
            assert formatting.decimal(value, pattern) == expected, (value, pattern, locale)


def test_a_locale_that_writes_numbers_otherwise_gets_babel(app, monkeypatch):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("de_DE"):
        assert formatting.decimal(Decimal("1234.5"), "#,##0.00") == "1.234,50"
