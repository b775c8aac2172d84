"""Prices, weights and distances as each language writes them, through one helper."""

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from market.app import ROOT
from market.formatting import km_label, number, price_label, tonnes_label


@pytest.fixture(scope="module")
def babel_app():
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(ROOT / "market" / "translations"))
    with app.test_request_context():
        yield app


@pytest.mark.parametrize(
    ("locale", "fen", "shown"),
    [
        ("zh_CN", 123_456_700, "¥1,234,567.00/吨"),
        ("en", 123_456_700, "¥1,234,567.00/t"),
        ("zh_CN", -59_500, "处置费 ¥595.00/吨（产废单位支付）"),
        ("en", -59_500, "disposal fee ¥595.00/t, paid by the generator"),
        ("zh_CN", 0, "¥0.00/吨"),
    ],
)
def test_a_price_per_tonne_says_who_pays_in_the_readers_language(babel_app, locale, fen, shown):
    with force_locale(locale):
        assert price_label(fen) == shown


def test_weights_and_distances_carry_the_languages_unit(babel_app):
    with force_locale("zh_CN"):
        assert (tonnes_label(12_345_500), km_label(3.14159)) == ("12,345.5 吨", "3.1 公里")
    with force_locale("en"):
        assert (tonnes_label(12_345_500), km_label(3.14159)) == ("12,345.5 t", "3.1 km")
        assert number(7469) == "7,469" and price_label(None) == "—"
