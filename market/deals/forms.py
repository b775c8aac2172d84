"""Forms for bidding and for cancelling a deal."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, DecimalField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from market.formfields import Finite, strip


class BidForm(FlaskForm):
    price_yuan = DecimalField(
        _l("Price (yuan per tonne)"),
        places=2,
        validators=[InputRequired(), Finite(), NumberRange(-10_000_000, 10_000_000)],
        description=_l("Negative means the generator pays you a disposal fee."),
    )
    quantity_t = DecimalField(
        _l("Quantity (t)"), places=3, validators=[DataRequired(), Finite(), NumberRange(0.001, 1e7)]
    )
    valid_until = DateTimeLocalField(
        _l("Valid until (Beijing time)"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("Empty: until the bidding deadline."),
    )
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Optional(), Length(max=1000)])


class CancelDealForm(FlaskForm):
    note = StringField(_l("Reason"), filters=[strip], validators=[DataRequired(), Length(max=500)])
