"""The park administrator's forms: a calendar day, the manifest settings, the year shown."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from market.formfields import choices, strip
from market.manifests.calendar import FIRST_YEAR, LAST_YEAR, CalendarDayInput, SettingsInput


class CalendarDayForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired()])
    until = DateField(
        _l("Until (for a holiday of several days)"),
        validators=[Optional()],
        description=_l("Optional: every weekday up to this day is added; weekends are skipped."),
    )
    kind = SelectField(
        _l("Kind"),
        default="holiday",
        choices=choices(
            ("holiday", _l("public holiday (no work)")),
            ("workday", _l("make-up working day (调休)")),
        ),
    )
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[Length(max=60)],
        render_kw={"placeholder": _l("e.g. Spring Festival")},
    )

    def to_input(self) -> CalendarDayInput:
        return CalendarDayInput(
            day=self.day.data, kind=self.kind.data, name=self.name.data or "", until=self.until.data
        )


class ManifestSettingsForm(FlaskForm):
    tolerance_pct = IntegerField(
        _l("Weight tolerance (%)"),
        validators=[InputRequired(), NumberRange(1, 50)],
        description=_l("Received against declared weight beyond this is a discrepancy."),
    )
    receipt_working_days = IntegerField(
        _l("Working days to sign receipt"),
        validators=[InputRequired(), NumberRange(1, 30)],
        description=_l("Counted from the day after pickup; later is overdue."),
    )

    def to_input(self) -> SettingsInput:
        return SettingsInput(
            tolerance_pct=self.tolerance_pct.data,
            receipt_working_days=self.receipt_working_days.data,
        )


class YearForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter

    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(FIRST_YEAR, LAST_YEAR)])
