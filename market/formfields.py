"""Validators and field helpers shared by the web forms and the API."""

import math
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField
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


def site_field() -> SelectField:
    """A choice among a park's sites (0: none, an address is typed instead)."""
    return SelectField(
        _l("Park site"),
        coerce=int,
        default=0,
        validate_choice=False,  # the service checks the site is one of the park's
        description=_l("Choose from the park's sites; its coordinates are filled in."),
        render_kw={"data-site-picker": "1"},
    )


def site_choice(site, optgroup: str | None = None) -> SelectChoice:
    """An option carrying its site's park and address for static/js/sites.js."""
    data = {"data-park": site.park_id, "data-address": site.address}
    return SelectChoice(site.id, site.name, render_kw=data, optgroup=optgroup)
