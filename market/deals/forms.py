"""The form for cancelling a deal."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from market.formfields import strip


class CancelDealForm(FlaskForm):
    note = StringField(_l("Reason"), filters=[strip], validators=[DataRequired(), Length(max=500)])
