"""Forms for login, enterprise registration, licences and API tokens."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    EmailField,
    FloatField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    NumberRange,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from market.accounts import uscc
from market.formfields import Finite, choices, strip


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ROLE_CHOICES = choices(
    ("generator", _l("Waste generator")),
    ("recycler", _l("Recycler / disposer")),
    ("transporter", _l("Transporter")),
)


class RegisterForm(FlaskForm):
    name = StringField(
        _l("Enterprise name"), filters=[strip], validators=[DataRequired(), Length(max=120)]
    )
    uscc = StringField(
        _l("Unified social credit code"),
        filters=[strip],
        validators=[DataRequired(), Length(max=30)],
    )
    roles = MultiCheckboxField(
        _l("Roles"),
        choices=ROLE_CHOICES,
        validators=[DataRequired(_l("Choose at least one role."))],
    )
    park_id = SelectField(_l("Park"), coerce=int, validators=[DataRequired()])
    industry = StringField(_l("Industry"), filters=[strip], validators=[Length(max=80)])
    address = StringField(
        _l("Site address"), filters=[strip], validators=[DataRequired(), Length(max=200)]
    )
    lat = FloatField(
        _l("Latitude"),
        validators=[
            DataRequired(),
            Finite(),
            NumberRange(3, 54, _l("The coordinates are outside China.")),
        ],
    )
    lon = FloatField(
        _l("Longitude"),
        validators=[
            DataRequired(),
            Finite(),
            NumberRange(73, 136, _l("The coordinates are outside China.")),
        ],
    )
    contact_name = StringField(
        _l("Contact person"), filters=[strip], validators=[DataRequired(), Length(max=60)]
    )
    contact_phone = StringField(
        _l("Contact phone"), filters=[strip], validators=[DataRequired(), Length(max=30)]
    )
    user_name = StringField(
        _l("Your name"), filters=[strip], validators=[DataRequired(), Length(max=60)]
    )
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=120)],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("Repeat password"), validators=[EqualTo("password", _l("The passwords differ."))]
    )

    def validate_uscc(self, field):
        from market.accounts.services import uscc_message

        try:
            field.data = uscc.validate(field.data)
        except uscc.UsccError as error:
            raise ValidationError(uscc_message(error)) from None


class LicenceForm(FlaskForm):
    number = StringField(
        _l("Licence number"), filters=[strip], validators=[DataRequired(), Length(max=60)]
    )
    codes = StringField(
        _l("Waste codes covered"),
        filters=[strip],
        description=_l("Several codes separated by commas."),
        validators=[DataRequired(), Length(max=4000)],
        render_kw={"data-code-autocomplete": "multi", "autocomplete": "off"},
    )
    capacity_t = DecimalField(
        _l("Licensed capacity (t/yr)"),
        places=3,
        validators=[DataRequired(), Finite(), NumberRange(min=0.001, max=10_000_000)],
    )
    valid_from = DateField(_l("Valid from"), validators=[DataRequired()])
    valid_until = DateField(_l("Valid until"), validators=[DataRequired()])


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"), filters=[strip], validators=[DataRequired(), Length(max=60)]
    )
