"""Validators and field helpers shared by the web forms and the API."""

import math
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.validators import ValidationError


class Finite:
    """Refuses NaN and infinities, which DecimalField and FloatField accept."""

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValidationError(_l("Enter a finite number."))
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError(_l("Enter a finite number."))


def strip(value):
    return value.strip() if isinstance(value, str) else value


def choices(*pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs; labels may be lazy translations."""
    return [SelectChoice(value, label) for value, label in pairs]
