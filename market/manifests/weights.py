"""Received against declared weight: the exact relative difference, discrepancies, sane weights.

Weights are whole kilograms; arithmetic is in Fractions, so a difference of
exactly the tolerance is never misjudged by rounding. A difference beyond the
tolerance (strictly greater, in either direction) is a discrepancy that needs a note.
"""

from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple

DEFAULT_TOLERANCE = Fraction(5, 100)
# GB 1589-2016: 49 t is the largest gross mass of any road vehicle combination, so
# no single road trip can deliver more waste than that. Ships or pipelines pass their own.
ROAD_LIMIT_KG = 49_000


class WeightProblem(StrEnum):
    NOT_WHOLE = "not_whole"  # not a whole number of kilograms
    ZERO = "zero"
    NEGATIVE = "negative"
    TOO_HEAVY = "too_heavy"  # above the limit for one trip (a tonnes/kg slip)


class Discrepancy(NamedTuple):
    relative: Fraction  # (received - declared) / declared; negative when less arrived
    discrepant: bool


def weight_problem(kg, limit_kg: int = ROAD_LIMIT_KG) -> WeightProblem | None:
    """What is wrong with a weighed weight, or None when it can be recorded."""
    if isinstance(kg, bool) or not isinstance(kg, int):
        return WeightProblem.NOT_WHOLE
    if kg == 0:
        return WeightProblem.ZERO
    if kg < 0:
        return WeightProblem.NEGATIVE
    if kg > limit_kg:
        return WeightProblem.TOO_HEAVY
    return None


def tolerance_from_percent(percent: int | str | Decimal) -> Fraction:
    """A park's tolerance typed as a percentage ("5", "2.5") as an exact fraction."""
    if isinstance(percent, bool | float):
        raise TypeError(f"a tolerance must be exact (int, str or Decimal), got {percent!r}")
    if isinstance(percent, str):
        percent = percent.strip().removesuffix("%").strip()
    try:
        value = Fraction(Decimal(percent)) / 100
    except (ArithmeticError, ValueError, TypeError):
        raise ValueError(f"not a percentage: {percent!r}") from None
    return _check_tolerance(value)


def _check_tolerance(tolerance) -> Fraction:
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | Fraction):
        raise TypeError(f"a tolerance must be an int or Fraction, got {tolerance!r}")
    if not 0 <= tolerance < 1:
        raise ValueError(f"a tolerance must be at least 0% and below 100%, got {tolerance}")
    return Fraction(tolerance)


def discrepancy(
    declared_kg: int, received_kg: int, tolerance: Fraction = DEFAULT_TOLERANCE
) -> Discrepancy:
    """The relative difference of received from declared, and whether it exceeds the tolerance."""
    for name, kg in (("declared", declared_kg), ("received", received_kg)):
        if isinstance(kg, bool) or not isinstance(kg, int) or kg <= 0:
            raise ValueError(f"{name} weight must be a positive whole number of kg, got {kg!r}")
    relative = Fraction(received_kg - declared_kg, declared_kg)
    return Discrepancy(relative, abs(relative) > _check_tolerance(tolerance))
