"""Change notices between processes, through Redis: a number that goes up once a commit
that changed open listings is done. Each process's matching index reads it (one GET)
before a ranking and re-reads the changed listings only when it moved. Without Redis
(the demo) there are no notices and the index polls instead (market.matching.service).
"""

import logging

from redis.exceptions import RedisError
from sqlalchemy import event

from market.extensions import db, redis_client, redis_key

log = logging.getLogger(__name__)
PENDING = "market.notices.listings"  # in the session's info until its commit


_local = {"version": 0}  # this process's own count of listing commits (no Redis needed)


def listings_changed() -> None:
    """A change to open listings in this transaction: tell every process once it commits
    (not before: a process told early would re-read before the rows are visible)."""
    db.session.info[PENDING] = True


def local_version() -> int:
    """How many commits that changed listings this process made (the hall's cache without
    Redis keys on it, so one's own change shows at once)."""
    return _local["version"]


def listings_version() -> int | None:
    """How many listing changes were announced; None without Redis, or when Redis cannot
    be read (the caller then polls as it does without Redis)."""
    client = redis_client()
    if client is None:
        return None
    try:
        return int(client.get(redis_key("matching", "version")) or 0)
    except RedisError as exc:
        log.warning("change notices unreadable, polling instead: %s", exc)
        return None


def announce_listings() -> None:
    client = redis_client()
    if client is None:
        return
    try:
        client.incr(redis_key("matching", "version"))
    except RedisError as exc:
        # Other processes see this change at their next whole rebuild
        # (MARKET_MATCHING_REBUILD_SECONDS), or sooner with the next notice that gets through.
        log.warning("listing change notice lost: %s", exc)


@event.listens_for(db.session, "after_commit")
def _after_commit(session) -> None:
    # A rolled-back transaction's flag goes with its session (removed after each request
    # or job); at worst a later commit in the same session sends one notice too many.
    if session.info.pop(PENDING, False):
        _local["version"] += 1
        announce_listings()
