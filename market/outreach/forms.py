"""Forms of matching outreach: inviting a recycler to bid from the match page."""

from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired


class InviteForm(FlaskForm):
    """The recycler (enterprise) a lot's owner invites to bid; the lot is in the URL."""

    enterprise_id = IntegerField(validators=[InputRequired()])
