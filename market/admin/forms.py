"""The park administrator's forms: matching settings and the park's sites."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from market.formfields import Finite, strip

UNIT = [InputRequired(), Finite(), NumberRange(0, 1)]


class MatchSettingsForm(FlaskForm):
    w_code = FloatField(_l("Weight: waste code"), validators=UNIT)
    w_distance = FloatField(_l("Weight: distance"), validators=UNIT)
    w_capacity = FloatField(_l("Weight: capacity"), validators=UNIT)
    w_credit = FloatField(_l("Weight: credit grade"), validators=UNIT)
    grade_a = FloatField(_l("Value of grade A"), validators=UNIT)
    grade_b = FloatField(_l("Value of grade B"), validators=UNIT)
    grade_c = FloatField(_l("Value of grade C"), validators=UNIT)
    grade_none = FloatField(_l("Value when ungraded"), validators=UNIT)
    default_radius_km = IntegerField(
        _l("Default service radius (km)"), validators=[InputRequired(), NumberRange(1, 3000)]
    )
    road_factor = FloatField(
        _l("Road factor (road km per straight km)"),
        validators=[InputRequired(), Finite(), NumberRange(1, 3)],
    )
    preview_id = SelectField(
        _l("Preview with the lot"), coerce=int, default=0, validate_choice=False
    )

    def validate_w_credit(self, field):
        weights = (self.w_code.data, self.w_distance.data, self.w_capacity.data, field.data)
        if None in weights:
            return
        if abs(sum(weights) - 1.0) > 0.001:
            raise ValidationError(
                _l("The four weights must add up to 1 (now %(sum).3f).", sum=sum(weights))
            )

    def validate_grade_b(self, field):
        a, b, c = self.grade_a.data, field.data, self.grade_c.data
        if None not in (a, b, c) and not a >= b >= c:
            raise ValidationError(_l("A better grade must not be worth less: A ≥ B ≥ C."))


class SiteForm(FlaskForm):
    """One of the park's named sites; coordinates may stay empty (the park's location)."""

    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[DataRequired(_l("Give the site a name.")), Length(max=80)],
        description=_l("As people in the park call it, e.g. “East gate” or “Plot B-3”."),
    )
    address = StringField(
        _l("Address"),
        filters=[strip],
        validators=[DataRequired(_l("Give the site's address.")), Length(max=200)],
    )
    lat = FloatField(
        _l("Latitude"),
        validators=[
            Optional(),
            Finite(),
            NumberRange(3, 54, _l("The coordinates are outside China.")),
        ],
        description=_l("Empty: the park's location."),
    )
    lon = FloatField(
        _l("Longitude"),
        validators=[
            Optional(),
            Finite(),
            NumberRange(73, 136, _l("The coordinates are outside China.")),
        ],
        description=_l("Empty: the park's location."),
    )
