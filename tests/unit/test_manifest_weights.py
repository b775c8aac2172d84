from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.manifests.weights import (
    DEFAULT_TOLERANCE,
    ROAD_LIMIT_KG,
    Discrepancy,
    WeightProblem,
    discrepancy,
    tolerance_from_percent,
    weight_problem,
)


@pytest.mark.parametrize(
    ("received", "discrepant"),
    [
        (10_000, False),
        (10_500, False),  # exactly +5%: within
        (10_501, True),
        (9_500, False),  # exactly -5%: within
        (9_499, True),
    ],
)
def test_the_default_tolerance_is_five_percent_inclusive(received, discrepant):
    assert discrepancy(10_000, received).discrepant is discrepant


def test_the_relative_difference_is_exact_and_signed():
    assert discrepancy(12_000, 11_870) == Discrepancy(Fraction(-13, 1200), False)
    assert discrepancy(3, 4).relative == Fraction(1, 3)


def test_a_threshold_that_floats_get_wrong_is_judged_exactly():
    seven = tolerance_from_percent("7")
    assert abs(107 / 100 - 1) > 0.07  # what float arithmetic would conclude
    assert discrepancy(100, 107, seven) == Discrepancy(Fraction(7, 100), False)
    assert discrepancy(100, 93, seven).discrepant is False
    assert discrepancy(1_000, 1_071, seven).discrepant is True


def test_a_zero_tolerance_flags_any_difference():
    assert discrepancy(1_000, 1_001, 0).discrepant
    assert not discrepancy(1_000, 1_000, 0).discrepant


@pytest.mark.parametrize(
    ("typed", "fraction"),
    [("5", Fraction(1, 20)), ("2.5", Fraction(1, 40)), (" 3 % ", Fraction(3, 100)), (0, 0)],
)
def test_park_tolerances_are_read_exactly(typed, fraction):
    assert tolerance_from_percent(typed) == fraction
    assert tolerance_from_percent(Decimal("2.5")) == Fraction(1, 40)


@pytest.mark.parametrize("typed", ["abc", "", "100", "-1", "NaN", "Infinity"])
def test_bad_park_tolerances_are_refused(typed):
    with pytest.raises(ValueError):
        tolerance_from_percent(typed)


@pytest.mark.parametrize("typed", [5.0, True])
def test_inexact_tolerances_are_refused(typed):
    with pytest.raises(TypeError):
        tolerance_from_percent(typed)
    with pytest.raises(TypeError):
        discrepancy(100, 100, typed)


@pytest.mark.parametrize(
    ("declared", "received"),
    [(0, 100), (100, 0), (-5, 100), (100, -5), (100.0, 100), (100, True), (100, "100")],
)
def test_discrepancy_needs_positive_whole_weights(declared, received):
    with pytest.raises(ValueError, match="positive whole number"):
        discrepancy(declared, received)


@pytest.mark.parametrize(
    ("kg", "problem"),
    [
        (1, None),
        (ROAD_LIMIT_KG, None),
        (ROAD_LIMIT_KG + 1, WeightProblem.TOO_HEAVY),
        (0, WeightProblem.ZERO),
        (-1, WeightProblem.NEGATIVE),
        (11.5, WeightProblem.NOT_WHOLE),
        ("11870", WeightProblem.NOT_WHOLE),
        (Decimal(11870), WeightProblem.NOT_WHOLE),
        (None, WeightProblem.NOT_WHOLE),
        (True, WeightProblem.NOT_WHOLE),
    ],
)
def test_received_weights_are_checked(kg, problem):
    assert weight_problem(kg) == problem


def test_a_ship_passes_its_own_limit():
    assert weight_problem(500_000) == WeightProblem.TOO_HEAVY
    assert weight_problem(500_000, limit_kg=2_000_000) is None


@given(declared=st.integers(1, 10**6), received=st.integers(1, 10**6))
def test_discrepant_exactly_when_the_integer_comparison_says_so(declared, received):
    # |r - d| / d > 5/100  <=>  20 * |r - d| > d, all in integers.
    expected = 20 * abs(received - declared) > declared
    assert discrepancy(declared, received, DEFAULT_TOLERANCE).discrepant is expected
