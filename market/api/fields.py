"""Marshmallow fields and validators whose messages are in the caller's language."""

from datetime import datetime

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import validate

ID_MAX = 2**31 - 1  # the largest id an INTEGER key column holds (PostgreSQL); larger: no such row

_BASE = {
    "required": _l("This field is required."),
    "null": _l("This field may not be empty."),
    "validator_failed": _l("Invalid value."),
}


class Str(ma.fields.String):
    default_error_messages = {
        **_BASE,
        "invalid": _l("Enter text."),
        "invalid_utf8": _l("Enter text."),
    }


class Int(ma.fields.Integer):
    default_error_messages = {
        **_BASE,
        "invalid": _l("Enter a whole number."),
        "too_large": _l("The number is too large."),
    }

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)


class QueryInt(Int):
    """A whole number in a query string, where every value arrives as text."""

    def __init__(self, **kwargs):
        ma.fields.Integer.__init__(self, strict=False, **kwargs)


class Float(ma.fields.Float):
    default_error_messages = {
        **_BASE,
        "invalid": _l("Enter a number."),
        "too_large": _l("The number is too large."),
        "special": _l("Enter a finite number."),
    }


class Dec(ma.fields.Decimal):
    """A decimal given as a JSON number or a string such as "12.5"; dumped as a string."""

    default_error_messages = {
        **_BASE,
        "invalid": _l("Enter a number."),
        "too_large": _l("The number is too large."),
        "special": _l("Enter a finite number."),
    }


class Day(ma.fields.Date):
    default_error_messages = {
        **_BASE,
        "invalid": _l("Enter a date as YYYY-MM-DD."),
        "format": _l("Enter a date as YYYY-MM-DD."),
    }


class LocalMinute(ma.fields.String):
    """Beijing wall-clock time to the minute, as the pages' date-time inputs send it."""

    default_error_messages = {
        **_BASE,
        "invalid": _l("Enter a date and time as YYYY-MM-DDTHH:MM (Beijing time)."),
    }
    FORMAT = "%Y-%m-%dT%H:%M"

    def __init__(self, metadata: dict | None = None, **kwargs):
        metadata = {
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$",
            "example": "2026-12-01T17:00",
            **(metadata or {}),
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return datetime.strptime(value, self.FORMAT)
        except ValueError:
            raise self.make_error("invalid") from None


class Bool(ma.fields.Boolean):
    default_error_messages = {**_BASE, "invalid": _l("Enter true or false.")}


class StrList(ma.fields.List):
    default_error_messages = {**_BASE, "invalid": _l("Enter a list.")}


def plain_numbers(self, field, ret, **kwargs) -> dict:
    """apispec attribute function: a Decimal field's bounds as JSON numbers, not strings."""
    if not isinstance(field, ma.fields.Decimal):
        return {}
    return {k: float(ret[k]) for k in ("minimum", "maximum") if k in ret}


def between(low, high) -> validate.Range:
    return validate.Range(
        low, high, error=_l("Enter a number from %(low)s to %(high)s.", low=low, high=high)
    )


def at_most(n: int) -> validate.Length:
    return validate.Length(max=n, error=_l("At most %(n)d characters.", n=n))


def not_blank(n: int) -> validate.Length:
    return validate.Length(min=1, max=n, error=_l("Between 1 and %(n)d characters.", n=n))


def one_of(*values) -> validate.OneOf:
    return validate.OneOf(values, error=_l("Choose one of: %(values)s.", values=", ".join(values)))


def an_id(**kwargs) -> Int:
    return Int(validate=between(1, ID_MAX), **kwargs)
