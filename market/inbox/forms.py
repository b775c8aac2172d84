"""The form for writing in a thread."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from market.formfields import strip
from market.inbox.models import BODY_MAX


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Message"),
        filters=[strip],
        validators=[
            DataRequired(_l("Write a message first.")),
            Length(max=BODY_MAX, message=_l("A message is at most %(max)d characters.")),
        ],
        render_kw={"rows": 3, "maxlength": BODY_MAX},
    )
