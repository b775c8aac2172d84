"""Forms for filings, amendments, filing tiers and the ledger's period picker."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from market.formfields import choices, strip
from market.manifests.filings import MAX_KG, MAX_NOTE, MAX_REASON, AmendInput, FilingInput

KG = [InputRequired(), NumberRange(0, MAX_KG)]
STOCK_HELP = _l("What is still stored at the end of the period, if you keep count (optional).")


class FilingForm(FlaskForm):
    waste_code = StringField(
        _l("Waste code"),
        filters=[strip],
        validators=[DataRequired(), Length(max=200)],
        render_kw={"data-code-autocomplete": "1", "autocomplete": "off"},
    )
    period_key = StringField(
        _l("Period"),
        filters=[strip],
        validators=[DataRequired(), Length(max=12)],
        description=_l("2026-W48 (week), 2026-11 (month), 2026-Q4 (quarter) or 2026 (year)."),
    )
    generated_kg = IntegerField(_l("Generated (kg)"), validators=KG)
    stock_kg = IntegerField(
        _l("Stock at period end (kg)"),
        validators=[Optional(), NumberRange(0, MAX_KG)],
        description=STOCK_HELP,
    )
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Optional(), Length(max=MAX_NOTE)])

    def to_input(self) -> FilingInput:
        return FilingInput(self.waste_code.data, self.period_key.data, self.generated_kg.data,
                           self.stock_kg.data, self.note.data or "")  # fmt: skip


class AmendForm(FlaskForm):
    generated_kg = IntegerField(_l("Generated (kg)"), validators=KG)
    stock_kg = IntegerField(
        _l("Stock at period end (kg)"),
        validators=[Optional(), NumberRange(0, MAX_KG)],
        description=STOCK_HELP,
    )
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Optional(), Length(max=MAX_NOTE)])
    reason = TextAreaField(
        _l("Why is it corrected?"),
        filters=[strip],
        validators=[DataRequired(), Length(max=MAX_REASON)],
    )

    def to_input(self) -> AmendInput:
        return AmendInput(self.generated_kg.data, self.reason.data, self.stock_kg.data,
                          self.note.data or "")  # fmt: skip


TIER_CHOICES = (
    ("weekly", _l("weekly")),
    ("monthly", _l("monthly")),
    ("quarterly", _l("quarterly")),
    ("yearly", _l("yearly")),
)


class TierForm(FlaskForm):
    period_kind = SelectField(_l("Files"), choices=choices(*TIER_CHOICES), default="monthly")
    effective_from = DateField(_l("From"), validators=[InputRequired()])


class LedgerFilter(FlaskForm):
    """The ledger page's period picker (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    kind = SelectField(
        _l("Periods"),
        choices=choices(("week", _l("weeks")), ("month", _l("months")),
                        ("quarter", _l("quarters")), ("year", _l("years"))),
        validators=[Optional()],
    )  # fmt: skip
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


class StatusFilter(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("Due from"), validators=[Optional()])
    end = DateField(_l("Due until"), validators=[Optional()])
    show = SelectField(
        _l("Show"),
        choices=choices(("all", _l("every generator")), ("problems", _l("late or missing")),
                        ("missing", _l("with missing filings"))),
        validators=[Optional()],
    )  # fmt: skip
    q = StringField(_l("Name"), filters=[strip], validators=[Optional(), Length(max=60)])
