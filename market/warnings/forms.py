"""The warning pages' forms: checked for shape here, the rules stay in the services."""

from dataclasses import fields

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from market.formfields import choices, strip
from market.warnings import labels
from market.warnings.rules import LIMITS, Settings

TEXT_MAX = 2000


class FilterForm(FlaskForm):
    """The console's filters (query string)."""

    class Meta:
        csrf = False

    category = SelectField(_l("Category"), default="")
    level = SelectField(_l("Level"), default="")
    status = SelectField(_l("Status"), default="open")
    waiting = BooleanField(_l("Waiting for me"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = choices(("", _l("any")), *labels.CATEGORIES.items())
        self.level.choices = choices(("", _l("any")), *labels.LEVELS.items())
        self.status.choices = choices(
            ("open", _l("not closed")), ("", _l("any")), *labels.STATUSES.items()
        )


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("Your answer or rectification"),
        filters=[strip],
        validators=[DataRequired(), Length(max=TEXT_MAX)],
    )
    files = MultipleFileField(_l("Photos or PDFs (at most 5)"))


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Length(max=TEXT_MAX)])


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("What is still missing"),
        filters=[strip],
        validators=[DataRequired(), Length(max=TEXT_MAX)],
    )


class OutcomeForm(FlaskForm):
    outcome = TextAreaField(
        _l("Outcome"), filters=[strip], validators=[DataRequired(), Length(max=TEXT_MAX)]
    )


SETTING_LABELS = {
    "late_receipt_on": _l("Receipt not signed in time"),
    "receipt_working_days": _l("Receipt due within (working days of pickup)"),
    "weight_discrepancy_on": _l("Weight discrepancy"),
    "discrepancy_low_pct": _l("Low warning beyond (%)"),
    "discrepancy_high_pct": _l("High warning beyond (%)"),
    "stock_held_on": _l("Stock held past the storage limit"),
    "storage_days": _l("Storage limit (days)"),
    "over_capacity_on": _l("Received over the licensed capacity"),
    "capacity_margin_pct": _l("Margin over the capacity (%)"),
    "expired_licence_on": _l("Received without a valid licence"),
    "missing_filing_on": _l("Periodic filing missing"),
    "under_declared_on": _l("Declared generation below what was shipped"),
    "declared_margin_pct": _l("Margin over the declared generation (%)"),
    "generation_spike_on": _l("Generation spike"),
    "spike_factor_pct": _l("Spike: above the own average by (%)"),
    "spike_min_history": _l("Spike: filings needed before (count)"),
    "lot_no_bid_on": _l("Lot open with no bid"),
    "no_bid_days": _l("No bid for (days)"),
    "answer_working_days": _l("The enterprise answers within (working days)"),
}
SETTING_NAMES = tuple(item.name for item in fields(Settings))


class SettingsForm(FlaskForm):
    pass


for _name in SETTING_NAMES:
    if _name.endswith("_on"):
        _field = BooleanField(SETTING_LABELS[_name])
    else:
        _low, _high = LIMITS[_name]
        _field = IntegerField(
            SETTING_LABELS[_name],
            validators=[InputRequired(), NumberRange(min=_low, max=_high)],
        )
    setattr(SettingsForm, _name, _field)
