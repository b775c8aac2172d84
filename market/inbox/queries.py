"""Reads for threads: the threads a user sees, their messages, and unread counts (each user's
own, from their read position)."""

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import selectinload

from market.accounts.models import Enterprise
from market.deals.models import Deal
from market.extensions import db
from market.inbox.models import Thread, ThreadMessage, ThreadRead


def _visible(user):
    eid = getattr(user, "enterprise_id", None)
    if eid is not None:
        return or_(Thread.owner_id == eid, Thread.other_id == eid)
    park = getattr(user, "admin_park_id", None)
    if park is None:
        return Thread.id.is_(None)
    in_park = (
        db.select(Deal.id)
        .join(Enterprise, Deal.generator_id == Enterprise.id)
        .where(Enterprise.park_id == park)
    )
    return Thread.deal_id.in_(in_park)


def threads_for(user):
    """A select() of the user's threads, latest message first (for db.paginate)."""
    return (
        db.select(Thread)
        .where(_visible(user))
        .options(
            selectinload(Thread.owner),
            selectinload(Thread.other),
            selectinload(Thread.supply_listing),
            selectinload(Thread.demand_listing),
        )
        .order_by(Thread.last_message_at.desc(), Thread.id.desc())
    )


def messages_of(thread: Thread) -> list[ThreadMessage]:
    stmt = (
        db.select(ThreadMessage)
        .where(ThreadMessage.thread_id == thread.id)
        .options(selectinload(ThreadMessage.author))
        .order_by(ThreadMessage.id)
    )
    return list(db.session.scalars(stmt))


def _unread_stmt(user, *columns):
    """Messages of the other party in the user's enterprise's threads, past the user's read
    position. Only members have unread messages: an administrator only reads along."""
    eid = user.enterprise_id
    return (
        db.select(*columns)
        .select_from(ThreadMessage)
        .join(Thread, Thread.id == ThreadMessage.thread_id)
        .outerjoin(
            ThreadRead, and_(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == user.id)
        )
        .where(
            or_(Thread.owner_id == eid, Thread.other_id == eid),
            ThreadMessage.enterprise_id != eid,
            ThreadMessage.id > func.coalesce(ThreadRead.last_message_id, 0),
        )
    )


def unread_total(user) -> int:
    if user is None or getattr(user, "enterprise_id", None) is None:
        return 0
    return db.session.scalar(_unread_stmt(user, func.count(ThreadMessage.id))) or 0


def unread_threads(user) -> int:
    """How many threads have a message this user has not read."""
    if user is None or getattr(user, "enterprise_id", None) is None:
        return 0
    stmt = _unread_stmt(user, func.count(func.distinct(ThreadMessage.thread_id)))
    return db.session.scalar(stmt) or 0


def unread_by_thread(user, thread_ids: list[int]) -> dict[int, int]:
    if not thread_ids or getattr(user, "enterprise_id", None) is None:
        return {}
    stmt = (
        _unread_stmt(user, ThreadMessage.thread_id, func.count(ThreadMessage.id))
        .where(ThreadMessage.thread_id.in_(thread_ids))
        .group_by(ThreadMessage.thread_id)
    )
    return {thread_id: n for thread_id, n in db.session.execute(stmt)}


def last_messages(thread_ids: list[int]) -> dict[int, ThreadMessage]:
    """Each thread's latest message, for the list's preview line."""
    if not thread_ids:
        return {}
    latest = (
        db.select(func.max(ThreadMessage.id))
        .where(ThreadMessage.thread_id.in_(thread_ids))
        .group_by(ThreadMessage.thread_id)
    )
    rows = db.session.scalars(db.select(ThreadMessage).where(ThreadMessage.id.in_(latest)))
    return {m.thread_id: m for m in rows}
