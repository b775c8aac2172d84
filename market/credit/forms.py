"""The credit pages' forms: checked for shape here, the rules stay in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from market.credit.settings import SETTING_FIELDS
from market.formfields import choices, strip

GRADES = ("A", "B", "C", "D")
ROLE_CHOICES = (
    ("generator", _l("Waste generator")),
    ("recycler", _l("Recycler / disposer")),
    ("transporter", _l("Transporter")),
)
STATUS_FILTER = (
    "draft", "submitted", "returned", "published", "appealed", "upheld", "changed",
    "expired", "superseded", "cancelled",
)  # fmt: skip
NOTE_MAX = 2000


class FilterForm(FlaskForm):
    """The administrator's list filters (query string)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validate_choice=True, default="")
    role = SelectField(_l("Role"), default="")
    grade = SelectField(_l("Grade"), default="")
    awaiting = BooleanField(_l("Awaiting me"))

    def __init__(self, *args, status_labels: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = choices(
            ("", _l("any")), *((s, status_labels[s]) for s in STATUS_FILTER)
        )
        self.role.choices = choices(("", _l("any")), *ROLE_CHOICES)
        self.grade.choices = choices(("", _l("any")), *((g, g) for g in GRADES))


class OpenForm(FlaskForm):
    enterprise = SelectField(_l("Enterprise"), coerce=int, validators=[DataRequired()])
    start = DateField(_l("Window from"), validators=[Optional()])
    end = DateField(_l("Window to"), validators=[Optional()])


class MarkForm(FlaskForm):
    points = StringField(
        _l("Score"),
        filters=[strip],
        validators=[
            Optional(),
            Regexp(r"^\d{1,3}(\.\d)?$", message=_l("Enter a number with at most one decimal.")),
        ],
    )
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Length(max=NOTE_MAX)])
    file = FileField(_l("Evidence (photo or PDF)"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"), filters=[strip], validators=[DataRequired(), Length(max=NOTE_MAX)]
    )


class ApproveForm(FlaskForm):
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Length(max=NOTE_MAX)])


class DecideForm(FlaskForm):
    outcome = SelectField(
        _l("Outcome"),
        choices=choices(("upheld", _l("uphold the grade")), ("changed", _l("change the grade"))),
    )
    new_grade = SelectField(_l("New grade"), choices=choices(("", "—"), *((g, g) for g in GRADES)))
    note = TextAreaField(
        _l("Decision"), filters=[strip], validators=[DataRequired(), Length(max=NOTE_MAX)]
    )


class AppealForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the grade is wrong"),
        filters=[strip],
        validators=[DataRequired(), Length(max=NOTE_MAX)],
    )
    files = MultipleFileField(_l("Attachments (photos or PDFs, at most 5)"))


SETTING_LABELS = {
    "completeness": _l("Completeness (points)"),
    "truthfulness": _l("Truthfulness (points)"),
    "offline": _l("Offline checklist (points)"),
    "late_credit_pct": _l("Credit for a late filing (%)"),
    "negative_stock_tenths": _l("Deduction: shipped more than generated + stock (tenths)"),
    "weight_discrepancy_tenths": _l("Deduction: weight discrepancy (tenths)"),
    "late_receipt_tenths": _l("Deduction: receipt signed late (tenths)"),
    "correction_tenths": _l("Deduction: corrected filing (tenths)"),
    "warning_low_tenths": _l("Deduction: low warning raised (tenths)"),
    "warning_medium_tenths": _l("Deduction: medium warning raised (tenths)"),
    "warning_high_tenths": _l("Deduction: high warning raised (tenths)"),
    "warning_overdue_tenths": _l("Deduction: warning answer overdue, escalated (tenths)"),
    "threshold_a_tenths": _l("Grade A from (tenths, green)"),
    "threshold_b_tenths": _l("Grade B from (tenths, blue)"),
    "threshold_c_tenths": _l("Grade C from (tenths, yellow; below: D, red)"),
    "validity_years": _l("Valid for (years)"),
    "appeal_days": _l("Appeal within (days)"),
    "reminder_days": _l("Remind before the end (days)"),
    "window_months": _l("Default window (months)"),
}


class SettingsForm(FlaskForm):
    pass


for _name in SETTING_FIELDS:
    setattr(
        SettingsForm,
        _name,
        IntegerField(
            SETTING_LABELS[_name], validators=[DataRequired(), NumberRange(min=0, max=1000)]
        ),
    )


class ChecklistItemForm(FlaskForm):
    key = StringField(
        _l("Key"),
        filters=[strip],
        validators=[
            DataRequired(),
            Length(max=40),
        ],
    )
    role = SelectField(_l("Role"), choices=choices(*ROLE_CHOICES))
    label_zh = StringField(
        _l("Label (Chinese)"), filters=[strip], validators=[DataRequired(), Length(max=80)]
    )
    label_en = StringField(
        _l("Label (English)"), filters=[strip], validators=[DataRequired(), Length(max=80)]
    )
    max_points = IntegerField(
        _l("Most points"), validators=[DataRequired(), NumberRange(min=1, max=100)]
    )
    position = IntegerField(
        _l("Position"), default=0, validators=[Optional(), NumberRange(min=0, max=999)]
    )
    guidance = TextAreaField(_l("Guidance"), filters=[strip], validators=[Length(max=NOTE_MAX)])
    active = BooleanField(_l("In use"), default=True)


class RegisterFilterForm(FlaskForm):
    class Meta:
        csrf = False

    park = SelectField(_l("Park"), coerce=str)
    grade = SelectField(_l("Grade"), default="")
    role = SelectField(_l("Role"), default="")
    q = StringField(_l("Name or USCC"), filters=[strip], validators=[Length(max=80)])

    def __init__(self, *args, parks, **kwargs):
        super().__init__(*args, **kwargs)
        self.park.choices = choices(*((p.slug, p.name) for p in parks))
        self.grade.choices = choices(("", _l("any")), *((g, g) for g in GRADES))
        self.role.choices = choices(("", _l("any")), *ROLE_CHOICES)


class ViolationForm(FlaskForm):
    enterprise = SelectField(_l("Enterprise"), coerce=int, validators=[DataRequired()])
    occurred_on = DateField(_l("Occurred on"), validators=[DataRequired()])
    description = TextAreaField(
        _l("What happened"), filters=[strip], validators=[DataRequired(), Length(max=NOTE_MAX)]
    )
