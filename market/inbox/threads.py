"""Threads: who may read and write one, opening one on a deal or a listing, posting, and
each user's read position. A thread carries only what its two parties write: no bid, sealed
or not, is ever quoted into one."""

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from market.deals.models import Deal
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.inbox.models import BODY_MAX, Message, Thread, ThreadMessage, ThreadRead
from market.inbox.services import addressed_to, mark_seen, notify, unseen_ids
from market.listings.models import DemandListing, SupplyListing
from market.listings.states import ListingStatus

LISTINGS = {"supply": SupplyListing, "demand": DemandListing}
ASKABLE = (ListingStatus.OPEN, ListingStatus.BIDS_CLOSED)


def may_read(user, thread: Thread) -> bool:
    """Its two enterprises' members; a park administrator reads the deal threads of the
    park's deals (as they see the deal), never a question on a listing."""
    if thread.party(getattr(user, "enterprise_id", None)):
        return True
    park = getattr(user, "admin_park_id", None)
    return park is not None and thread.deal is not None and thread.deal.generator.park_id == park


def may_post(user, thread: Thread) -> bool:
    return thread.party(getattr(user, "enterprise_id", None))


def thread_for(user, thread_id: int) -> Thread:
    """The thread if this user may read it; else "no such thread" (its existence is not
    revealed to others)."""
    thread = db.session.get(Thread, thread_id)
    if thread is None or not may_read(user, thread):
        raise NotFound(_("No such conversation."))
    return thread


def clean_body(body: str | None) -> str:
    text = (body or "").strip()
    if not text:
        raise DomainError(_("Write a message first."), field="body")
    if len(text) > BODY_MAX:
        raise DomainError(_("A message is at most %(n)d characters.", n=BODY_MAX), field="body")
    return text


def deal_thread(deal_id: int) -> Thread | None:
    return db.session.scalar(db.select(Thread).where(Thread.deal_id == deal_id))


def listing_thread(kind: str, listing_id: int, asker_id: int | None) -> Thread | None:
    if asker_id is None:
        return None
    column = Thread.supply_listing_id if kind == "supply" else Thread.demand_listing_id
    return db.session.scalar(
        db.select(Thread).where(column == listing_id, Thread.other_id == asker_id)
    )


def listing_threads(kind: str, listing_id: int) -> list[Thread]:
    """A listing's questions, for its owner."""
    column = Thread.supply_listing_id if kind == "supply" else Thread.demand_listing_id
    stmt = db.select(Thread).where(column == listing_id).order_by(Thread.last_message_at.desc())
    return list(db.session.scalars(stmt))


def _open(make: dict, find) -> Thread:
    """Get or make the thread; two first messages at once make one thread (the unique
    constraints settle it, the loser reads the winner's)."""
    thread = find()
    if thread is not None:
        return thread
    try:
        with db.session.begin_nested():
            thread = Thread(**make)
            db.session.add(thread)
    except IntegrityError:
        thread = find()
        if thread is None:
            raise
    return thread


def write_on_deal(user, deal_id: int, body: str) -> ThreadMessage:
    """A message from one party of a deal to the other (its thread is made on first use)."""
    deal = db.session.get(Deal, deal_id)
    if deal is None or not deal.party(getattr(user, "enterprise_id", None)):
        raise NotFound(_("No such deal."))
    text = clean_body(body)
    thread = _open(
        dict(deal_id=deal.id, owner_id=deal.generator_id, other_id=deal.recycler_id),
        lambda: deal_thread(deal.id),
    )
    return _post(user, thread, text)


def ask_about(user, kind: str, listing_id: int, body: str) -> ThreadMessage:
    """A member of another enterprise asks a listing's owner a question."""
    model = LISTINGS.get(kind)
    listing = db.session.get(model, listing_id) if model else None
    me = getattr(user, "enterprise_id", None)
    if listing is None or listing.status in (ListingStatus.DRAFT, ListingStatus.WITHDRAWN):
        raise NotFound(_("No such listing."))
    if me is None:
        raise Forbidden(_("Only members of an enterprise may ask."))
    if me == listing.enterprise_id:
        raise Forbidden(_("This is your own listing."))
    thread = listing_thread(kind, listing_id, me)
    if thread is None and listing.status not in ASKABLE:
        raise Conflict(_("Questions are taken while the listing is open."))
    text = clean_body(body)
    key = "supply_listing_id" if kind == "supply" else "demand_listing_id"
    thread = thread or _open(
        {key: listing.id, "owner_id": listing.enterprise_id, "other_id": me},
        lambda: listing_thread(kind, listing_id, me),
    )
    return _post(user, thread, text)


def reply(user, thread_id: int, body: str) -> ThreadMessage:
    thread = thread_for(user, thread_id)
    if not may_post(user, thread):
        raise Forbidden(_("Only the two parties write in this conversation."))
    return _post(user, thread, clean_body(body))


def _post(user, thread: Thread, text: str) -> ThreadMessage:
    previous = db.session.scalar(
        db.select(ThreadMessage.enterprise_id)
        .where(ThreadMessage.thread_id == thread.id)
        .order_by(ThreadMessage.id.desc())
        .limit(1)
    )
    message = ThreadMessage(
        thread_id=thread.id, author_id=user.id, enterprise_id=user.enterprise_id, body=text
    )
    db.session.add(message)
    db.session.flush()
    thread.last_message_at = message.created_at
    mark_read(user, thread, message.id)  # one's own message is read
    if previous != user.enterprise_id:  # one notice per turn, not per message
        _tell(thread, user.enterprise, message)
    return message


def _tell(thread: Thread, sender, message: ThreadMessage) -> None:
    subject = {"deal": thread.deal_id} if thread.deal_id else {"lot": thread.listing.title}
    notify(
        thread.counterpart(sender.id),
        "thread_message",
        link=f"/inbox/threads/{thread.id}",
        sender=sender.name,
        thread=thread.id,
        **subject,
    )


def mark_read(user, thread: Thread, up_to: int | None = None) -> None:
    """This user has seen the thread up to its last message (or `up_to`)."""
    if up_to is None:
        up_to = db.session.scalar(
            db.select(db.func.max(ThreadMessage.id)).where(ThreadMessage.thread_id == thread.id)
        )
    if not up_to:
        return
    row = db.session.get(ThreadRead, (thread.id, user.id))
    if row is None:
        try:  # the same user's two tabs at once: the second finds the first's row
            with db.session.begin_nested():
                db.session.add(
                    ThreadRead(thread_id=thread.id, user_id=user.id, last_message_id=up_to)
                )
            return
        except IntegrityError:
            row = db.session.get(ThreadRead, (thread.id, user.id))
    if row.last_message_id < up_to:
        row.last_message_id = up_to
    db.session.flush()


def seen(user, thread: Thread) -> None:
    """A reader has the thread in front of them: read up to its last message (a party's
    members only), and the inbox notices pointing at it read with it."""
    if may_post(user, thread):
        mark_read(user, thread)
    notices = db.session.scalars(
        db.select(Message.id).where(
            addressed_to(user),
            Message.kind == "thread_message",
            Message.link == f"/inbox/threads/{thread.id}",
        )
    ).all()
    mark_seen(user, unseen_ids(user, list(notices)))
