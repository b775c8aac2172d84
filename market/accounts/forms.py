"""Forms for login, registration, licences and their review, colleagues, password
resets, the company's details and API tokens."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    FloatField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from market.accounts import phone, uscc
from market.formfields import Finite, choices, site_field, strip


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


def required(what) -> DataRequired:
    return DataRequired(_l("Enter %(what)s.", what=what))


def at_most(n: int) -> Length:
    return Length(max=n, message=_l("At most %(n)d characters.", n=n))


PASSWORD_RULE = _l("At least 8 characters.")


def contact_name_field() -> StringField:
    """The enterprise's contact person, as registration and the company page ask for it."""
    return StringField(
        _l("Contact person"),
        filters=[strip],
        validators=[required(_l("the contact person's name")), at_most(60)],
    )


def contact_phone_field() -> StringField:
    """The contact phone; each form checks it as a mobile or landline number (`phone`)."""
    return StringField(
        _l("Contact phone"),
        filters=[strip],
        description=_l(
            "A mobile number (13812345678) or a landline with area code (010-12345678)."
        ),
        validators=[required(_l("a phone number")), at_most(30)],
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )


class RegisterForm(FlaskForm):
    name = StringField(
        _l("Enterprise name"),
        filters=[strip],
        validators=[required(_l("the enterprise's name")), at_most(120)],
    )
    uscc = StringField(
        _l("Unified social credit code"),
        filters=[strip],
        validators=[required(_l("the 18-character credit code")), at_most(30)],
    )
    roles = MultiCheckboxField(
        _l("Roles"),
        choices=ROLE_CHOICES,
        validators=[DataRequired(_l("Choose at least one role."))],
    )
    park_id = SelectField(_l("Park"), coerce=int, validators=[DataRequired(_l("Choose the park."))])
    industry = StringField(_l("Industry"), filters=[strip], validators=[at_most(80)])
    site_id = site_field()
    address = StringField(
        _l("Site address"),
        filters=[strip],
        description=_l(
            "Empty: the chosen site's address. An address without coordinates is placed at "
            "the park."
        ),
        validators=[Optional(), at_most(200)],
    )
    lat = FloatField(
        _l("Latitude"),
        description=_l("Optional, e.g. 39.79."),
        validators=[
            Optional(),
            Finite(),
            NumberRange(3, 54, _l("The coordinates are outside China.")),
        ],
    )
    lon = FloatField(
        _l("Longitude"),
        description=_l("Optional, e.g. 116.51."),
        validators=[
            Optional(),
            Finite(),
            NumberRange(73, 136, _l("The coordinates are outside China.")),
        ],
    )
    contact_name = contact_name_field()
    contact_phone = contact_phone_field()
    user_name = StringField(
        _l("Your name"), filters=[strip], validators=[required(_l("your name")), at_most(60)]
    )
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            required(_l("an email address")),
            Email(_l("This is not an email address."), check_deliverability=False),
            at_most(120),
        ],
    )
    password = PasswordField(
        _l("Password"),
        description=PASSWORD_RULE,
        validators=[
            required(_l("a password")),
            Length(8, 200, _l("The password needs at least 8 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat password"), validators=[EqualTo("password", _l("The passwords differ."))]
    )

    def validate_contact_phone(self, field):
        try:
            field.data = phone.validate(field.data)
        except ValueError:
            raise ValidationError(
                _l("Enter a mobile number of 11 digits or a landline with its area code.")
            ) from None

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


class LicenceDocumentForm(LicenceForm):
    """A licence with its document (new, or re-submitted after rejection or expiry)."""

    document = FileField(
        _l("Licence document"),
        description=_l("A scan or photo of the licence: PDF, PNG or JPEG, at most 10 MB."),
        validators=[FileRequired(_l("Upload the licence document (PDF or photo)."))],
        render_kw={"accept": "application/pdf,image/png,image/jpeg"},
    )


class ReviewForm(FlaskForm):
    note = TextAreaField(
        _l("Note"),
        filters=[strip],
        description=_l("Required when rejecting: the recycler reads it."),
        validators=[Length(max=1000)],
    )


class SuspendForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        filters=[strip],
        description=_l("The enterprise's users read it on every page."),
        validators=[required(_l("the reason")), Length(max=1000)],
    )


class InviteForm(FlaskForm):
    email = EmailField(
        _l("Colleague's email"),
        filters=[strip],
        validators=[
            required(_l("an email address")),
            Email(_l("This is not an email address."), check_deliverability=False),
            at_most(120),
        ],
    )


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        description=PASSWORD_RULE,
        validators=[
            required(_l("a password")),
            Length(8, 200, _l("The password needs at least 8 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat password"), validators=[EqualTo("password", _l("The passwords differ."))]
    )


class AcceptInviteForm(SetPasswordForm):
    name = StringField(
        _l("Your name"), filters=[strip], validators=[required(_l("your name")), at_most(60)]
    )


class ForgotForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[required(_l("an email address")), at_most(120)],
    )


class CompanyForm(FlaskForm):
    contact_name = contact_name_field()
    contact_phone = contact_phone_field()
    contact_email = EmailField(
        _l("Contact email"),
        filters=[strip],
        validators=[
            Optional(),
            Email(_l("This is not an email address."), check_deliverability=False),
            at_most(120),
        ],
    )
    address = StringField(
        _l("Site address"),
        filters=[strip],
        validators=[required(_l("the site's address")), at_most(200)],
    )
    industry = StringField(_l("Industry"), filters=[strip], validators=[at_most(80)])

    validate_contact_phone = RegisterForm.validate_contact_phone


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"), filters=[strip], validators=[DataRequired(), Length(max=60)]
    )


class DigestForm(FlaskForm):
    match_digest = BooleanField(
        _l("Send me a daily digest of new lots that match our demand listings well")
    )
