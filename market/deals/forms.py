"""Forms for cancelling and completing a deal and for the payer's payment method."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from market import clock
from market.formfields import strip


class CancelDealForm(FlaskForm):
    note = StringField(_l("Reason"), filters=[strip], validators=[DataRequired(), Length(max=500)])


class CompleteDealForm(FlaskForm):
    """Completing captures money: the generator ticks that they mean it."""

    confirm = BooleanField(
        _l("I confirm: no more trips follow, and the payment is captured on the received total."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )


class RetryForm(FlaskForm):
    """Try the waiting payment again (CSRF only)."""


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


class CardForm(FlaskForm):
    """A bank card as the payer's payment method (test cards in development)."""

    number = StringField(
        _l("Card number"),
        filters=[lambda v: "".join((v or "").split())],
        validators=[DataRequired(_l("Enter the card number."))],
        render_kw={"inputmode": "numeric", "autocomplete": "cc-number"},
    )
    exp_month = IntegerField(
        _l("Expiry month"),
        validators=[
            InputRequired(_l("Enter the expiry month.")),
            NumberRange(1, 12, _l("A month is 1 to 12.")),
        ],
    )
    exp_year = IntegerField(
        _l("Expiry year"),
        validators=[
            InputRequired(_l("Enter the expiry year.")),
            NumberRange(2000, 2100, _l("Enter the year with four digits.")),
        ],
    )
    cvc = StringField(
        _l("Security code (CVC)"),
        filters=[lambda v: (v or "").strip()],
        validators=[DataRequired(_l("Enter the security code."))],
        render_kw={"inputmode": "numeric", "autocomplete": "cc-csc"},
    )

    def validate_number(self, field):
        if not field.data.isdigit() or not 12 <= len(field.data) <= 19:
            raise ValidationError(_l("A card number has 12 to 19 digits."))
        if not luhn_ok(field.data):
            raise ValidationError(_l("This card number has a typing error."))

    def validate_cvc(self, field):
        if not field.data.isdigit() or len(field.data) not in (3, 4):
            raise ValidationError(_l("The security code has 3 or 4 digits."))

    def validate_exp_year(self, field):
        today = clock.today()
        month = self.exp_month.data if isinstance(self.exp_month.data, int) else 12
        if field.data is not None and (field.data, month) < (today.year, today.month):
            raise ValidationError(_l("This card has expired."))

    def card(self) -> dict:
        return {
            "number": self.number.data,
            "exp_month": self.exp_month.data,
            "exp_year": self.exp_year.data,
            "cvc": self.cvc.data,
        }
