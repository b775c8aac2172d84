"""The form for cancelling a deal."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from market.formfields import strip


class CancelDealForm(FlaskForm):
    note = StringField(_l("Reason"), filters=[strip], validators=[DataRequired(), Length(max=500)])


class CompleteDealForm(FlaskForm):
    """Completing captures money: the generator ticks that they mean it."""

    confirm = BooleanField(
        _l("I confirm: no more trips follow, and the payment is captured on the received total."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
