"""The inbox page."""

from flask import Blueprint, render_template
from flask_login import current_user

from market.accounts.auth import member_required
from market.extensions import db
from market.inbox.models import Message
from market.inbox.services import mark_read, wording

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


@bp.get("/")
@member_required
def index():
    page = db.paginate(
        db.select(Message)
        .filter_by(enterprise_id=current_user.enterprise_id)
        .order_by(Message.id.desc()),
        per_page=30,
        error_out=False,
    )
    unread = {m.id for m in page.items if m.read_at is None}
    mark_read(current_user.enterprise_id)
    db.session.commit()
    return render_template("inbox/index.html", page=page, unread=unread, wording=wording)
