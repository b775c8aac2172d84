"""The inbox page, and the thread pages: a deal's conversation, a question on a listing."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from market import menu
from market.accounts.auth import member_required
from market.accounts.views import form_error
from market.deals.models import Deal
from market.errors import DomainError, NotFound
from market.extensions import db
from market.inbox import queries
from market.inbox import threads as threads_service
from market.inbox.forms import MessageForm
from market.inbox.models import Message, ThreadMessage
from market.inbox.services import addressed_to, mark_seen, params, unseen_ids, wording
from market.listings.models import Bid
from market.listings.queries import can_view
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
    recent = db.session.scalars(queries.threads_for(current_user).limit(5)).all()
    ids = [t.id for t in recent]
    threads_unread = queries.unread_by_thread(current_user, ids)
    last = queries.last_messages(ids)
    db.session.commit()
    return render_template(
        "inbox/index.html",
        page=page,
        unread=unread,
        wording=wording,
        withdrawn=_withdrawn_bids(page.items),
        threads=recent,
        threads_unread=threads_unread,
        last=last,
        unread_threads=queries.unread_threads(current_user),
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
    return menu.counts()["unread"]


# Threads: a conversation per deal and per (listing, asking enterprise).


@bp.get("/threads/")
@login_required
def threads():
    page = db.paginate(queries.threads_for(current_user), per_page=30, error_out=False)
    ids = [t.id for t in page.items]
    return render_template(
        "inbox/threads.html",
        page=page,
        unread=queries.unread_by_thread(current_user, ids),
        last=queries.last_messages(ids),
    )


def _thread_page(thread, form, action: str, subject=None, status: int = 200):
    """A thread (None before its first message) with its messages and the reply form; a
    reader's view marks it read for that user only."""
    messages = queries.messages_of(thread) if thread is not None else []
    if thread is not None and status == 200:
        threads_service.seen(current_user, thread)
        db.session.commit()
    return render_template(
        "inbox/thread.html",
        thread=thread,
        subject=subject or _subject(thread),
        messages=messages,
        form=form if thread is None or threads_service.may_post(current_user, thread) else None,
        action=action,
    ), status


def _subject(thread) -> dict:
    if thread.deal_id:
        return {"deal": thread.deal, "parties": (thread.owner, thread.other)}
    listing = thread.listing
    return {"listing": listing, "parties": (thread.owner, thread.other)}


def _load_thread(thread_id: int):
    try:
        return threads_service.thread_for(current_user, thread_id)
    except NotFound:
        abort(404)


@bp.get("/threads/<int:thread_id>")
@login_required
def thread(thread_id: int):
    row = _load_thread(thread_id)
    action = url_for("inbox.thread", thread_id=thread_id)
    return _thread_page(row, MessageForm(formdata=None), action)


def _write(form, call, page):
    """Validate, post through the service and go to the thread; else the page again with
    the error beside the field, and what was typed kept."""
    if form.validate_on_submit():
        try:
            message = call(form.body.data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Message sent."), "success")
            return redirect(url_for("inbox.thread", thread_id=message.thread_id, _anchor="last"))
    return page(form, 400)


@bp.post("/threads/<int:thread_id>")
@login_required
def reply(thread_id: int):
    row = _load_thread(thread_id)
    if not threads_service.may_post(current_user, row):
        abort(403)
    action = url_for("inbox.thread", thread_id=thread_id)
    return _write(
        MessageForm(),
        lambda body: threads_service.reply(current_user, thread_id, body),
        lambda form, status: _thread_page(row, form, action, status=status),
    )


def _party_deal(deal_id: int) -> Deal:
    deal = db.session.get(Deal, deal_id)
    if deal is None or not deal.party(current_user.enterprise_id):
        abort(404)
    return deal


def _deal_page(deal: Deal, form, status: int = 200):
    action = url_for("inbox.deal_messages", deal_id=deal.id)
    thread = threads_service.deal_thread(deal.id)
    subject = {"deal": deal, "parties": (deal.generator, deal.recycler)}
    return _thread_page(thread, form, action, subject, status)


@bp.route("/deals/<int:deal_id>/messages", methods=["GET", "POST"])
@member_required
def deal_messages(deal_id: int):
    """The deal's conversation between its two parties (made by the first message)."""
    deal = _party_deal(deal_id)
    if request.method == "GET":
        return _deal_page(deal, MessageForm(formdata=None))
    return _write(
        MessageForm(),
        lambda body: threads_service.write_on_deal(current_user, deal_id, body),
        lambda form, status: _deal_page(deal, form, status),
    )


def _askable(kind: str, listing_id: int):
    model = threads_service.LISTINGS.get(kind) or abort(404)
    listing = db.session.get(model, listing_id)
    if listing is None or not can_view(current_user, listing):
        abort(404)
    if listing.enterprise_id == current_user.enterprise_id:
        abort(403)  # the owner answers from its inbox
    return listing


def _question_page(kind: str, listing, form, status: int = 200):
    action = url_for("inbox.ask", kind=kind, listing_id=listing.id)
    thread = threads_service.listing_thread(kind, listing.id, current_user.enterprise_id)
    subject = {"listing": listing, "parties": (listing.enterprise, current_user.enterprise)}
    return _thread_page(thread, form, action, subject, status)


@bp.route("/listings/<kind>/<int:listing_id>/questions", methods=["GET", "POST"])
@member_required
def ask(kind: str, listing_id: int):
    """A member of another enterprise asks the listing's owner (one thread per asker)."""
    listing = _askable(kind, listing_id)
    if request.method == "GET":
        return _question_page(kind, listing, MessageForm(formdata=None))
    return _write(
        MessageForm(),
        lambda body: threads_service.ask_about(current_user, kind, listing_id, body),
        lambda form, status: _question_page(kind, listing, form, status),
    )


@bp.app_template_global()
def lot_threads(kind: str, listing_id: int) -> dict:
    """For a listing's page: the owner's questions, or the viewer's own thread."""
    me = getattr(current_user, "enterprise_id", None)
    if me is None:
        return {}
    listing = db.session.get(threads_service.LISTINGS[kind], listing_id)
    if listing.enterprise_id == me:
        rows = threads_service.listing_threads(kind, listing_id)
        unread = queries.unread_by_thread(current_user, [t.id for t in rows])
        return {"owner": rows, "unread": unread}
    mine = threads_service.listing_thread(kind, listing_id, me)
    return {"mine": mine, "askable": listing.status in threads_service.ASKABLE}


@bp.app_template_global()
def deal_thread_of(deal_id: int):
    return threads_service.deal_thread(deal_id)


@bp.app_template_global()
def thread_unread_label(thread) -> str:
    """ "3 messages · 1 new" for a link to a thread."""
    total = db.session.scalar(
        db.select(db.func.count(ThreadMessage.id)).where(ThreadMessage.thread_id == thread.id)
    )
    new = queries.unread_by_thread(current_user, [thread.id]).get(thread.id, 0)
    text = ngettext("%(num)d message", "%(num)d messages", total)
    return text + (" · " + _("%(n)d new", n=new) if new else "")
