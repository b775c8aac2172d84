"""The inbox page."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from market.extensions import db
from market.inbox.models import Message
from market.inbox.services import addressed_to, mark_read, wording

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


@bp.get("/")
@login_required
def index():
    """An enterprise's members read its messages; a park's administrators share theirs."""
    page = db.paginate(
        db.select(Message).where(addressed_to(current_user)).order_by(Message.id.desc()),
        per_page=30,
        error_out=False,
    )
    unread = {m.id for m in page.items if m.read_at is None}
    mark_read(current_user)
    db.session.commit()
    return render_template("inbox/index.html", page=page, unread=unread, wording=wording)
