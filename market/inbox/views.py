"""The inbox page."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from market.extensions import db
from market.inbox.models import Message
from market.inbox.services import addressed_to, mark_seen, params, unread_count, unseen_ids, wording
from market.listings.models import Bid
from market.listings.states import BidStatus

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


@bp.get("/")
@login_required
def index():
    """An enterprise's members read its messages, a park's administrators theirs; those
    on the page shown are read for this user only."""
    page = db.paginate(
        db.select(Message).where(addressed_to(current_user)).order_by(Message.id.desc()),
        per_page=30,
        error_out=False,
    )
    unread = unseen_ids(current_user, [m.id for m in page.items])
    mark_seen(current_user, unread)
    db.session.commit()
    return render_template(
        "inbox/index.html",
        page=page,
        unread=unread,
        wording=wording,
        withdrawn=_withdrawn_bids(page.items),
    )


def _withdrawn_bids(messages) -> set[int]:
    """Messages announcing a bid that its bidder has since withdrawn."""
    bids = {m.id: params(m).get("bid") for m in messages if m.kind == "bid_received"}
    ids = {b for b in bids.values() if isinstance(b, int)}
    if not ids:
        return set()
    gone = set(
        db.session.execute(
            db.select(Bid.id).where(Bid.id.in_(ids), Bid.status == BidStatus.WITHDRAWN)
        ).scalars()
    )
    return {message_id for message_id, bid in bids.items() if bid in gone}


@bp.app_template_global()
def unread_messages() -> int:
    """For the menu's badge: what this user has not seen."""
    if not getattr(current_user, "is_authenticated", False):
        return 0
    return unread_count(current_user)
