"""The park administrator's forms: matching settings, the dashboard's period, the desk,
the park's sites."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FloatField, IntegerField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from market import clock
from market.admin import periods
from market.formfields import Finite, choices, strip

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
    notify_min_score = FloatField(
        _l("Tell recyclers of a new lot from this score (0–1)"), validators=UNIT
    )
    notify_top_n = IntegerField(
        _l("Tell at most this many demand listings per lot"),
        validators=[InputRequired(), NumberRange(1, 50)],
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


class PeriodForm(FlaskForm):
    """The dashboard's period, from the query string: this month, quarter or year, or
    custom days (both needed, in order, not in the future, at most five years)."""

    class Meta:
        csrf = False

    period = SelectField(
        _l("Period"),
        default="month",
        choices=choices(
            ("month", _l("This month")),
            ("quarter", _l("This quarter")),
            ("year", _l("This year")),
            ("custom", _l("From – to")),
        ),
    )
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        """A custom period needs both days (Optional() would skip an empty one)."""
        if not super().validate(extra_validators) or self.period.data != "custom":
            return not self.errors
        first, last = self.start.data, self.end.data
        if first is None or last is None:
            self.end.errors = [_l("Give both days of a custom period, as YYYY-MM-DD.")]
            return False
        problem = periods.custom_problem(first, last, clock.today())
        if problem:
            self.end.errors = [PERIOD_PROBLEMS[problem]]
            return False
        return True

    def to_period(self) -> periods.Period:
        if self.period.data == "custom":
            return periods.Period("custom", self.start.data, self.end.data)
        return periods.standard(self.period.data, clock.today())


PERIOD_PROBLEMS = {
    "order": _l("The first day must not be after the last day."),
    "range": _l("Choose days between 2000-01-01 and today."),
    "long": _l("A period can span at most five years."),
}


class DeskForm(FlaskForm):
    """The facilitator's desk: lots with no bid after this many days."""

    class Meta:
        csrf = False

    days = IntegerField(
        _l("No bid after (days)"), default=7, validators=[Optional(), NumberRange(1, 365)]
    )


class SuggestForm(FlaskForm):
    supply_id = IntegerField(validators=[InputRequired(), NumberRange(1)])
    demand_id = IntegerField(validators=[InputRequired(), NumberRange(1)])


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
