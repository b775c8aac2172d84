"""The manifest lifecycle's hot path: what the locking read brings along (the chain's
tail, the park's rules) is trusted only in its own transaction, a savepoint's links are
neither lost nor doubled, and the statements a lifecycle costs do not creep back up."""

from contextlib import contextmanager
from datetime import date

from sqlalchemy import event

from market.db import utcnow
from market.extensions import db
from market.manifests import checks, queries, signing, workdays
from market.manifests import services as svc
from market.manifests.models import ManifestEventRow, ParkManifestSettings
from market.manifests.states import ManifestEvent as E
from tests.manifest_flow import pickup_input, receipt_input, trip


def seqs(manifest) -> list[int]:
    return [row.seq for row in queries.history(manifest)]


def overdue(manifest, n: int):
    return signing.record(manifest, E.MARK_OVERDUE, None, data={"n": n}, values={"overdue": True})


def test_a_released_savepoints_links_are_followed(world):
    t = trip(world)
    m = t.pick_up(t.start())
    m = signing.lock_manifest(m.id)  # the tail as the outer transaction read it
    with db.session.begin_nested():
        overdue(m, 1)
    overdue(m, 2)  # must follow the savepoint's link, not the tail read before it
    db.session.commit()
    assert seqs(m) == [1, 2, 3, 4, 5] and queries.chain_ok(m)
    assert svc.verify_chains() == []


def test_a_rolled_back_savepoints_links_are_forgotten(world):
    t = trip(world)
    m = t.pick_up(t.start())
    m = signing.lock_manifest(m.id)
    savepoint = db.session.begin_nested()
    overdue(m, 1)
    savepoint.rollback()
    overdue(m, 2)  # must follow the tail as it is again, not the link rolled back
    db.session.commit()
    assert seqs(m) == [1, 2, 3, 4] and queries.chain_ok(m)
    assert svc.verify_chains() == []


def test_the_tail_is_read_again_in_a_new_transaction(world):
    t = trip(world)
    m = t.pick_up(t.start())
    m = signing.lock_manifest(m.id)
    db.session.commit()
    # another writer appends behind this session's back (as another process would)
    db.session.add(
        ManifestEventRow(manifest_id=m.id, seq=4, event="x", to_status="in_transit",
                         at=utcnow(), prev_hash="0" * 64, hash="f" * 64)
    )  # fmt: skip
    db.session.commit()
    assert signing._last_link(m).seq == 4  # not the tail the earlier lock read


def test_the_locked_read_brings_the_parks_current_rules(world):
    t = trip(world)
    m = t.start()
    assert signing.locked_rules(signing.lock_manifest(m.id)) == (5, 5)  # the defaults
    db.session.add(ParkManifestSettings(park_id=m.park_id, tolerance_pct=8,
                                        receipt_working_days=3))  # fmt: skip
    db.session.commit()
    locked = signing.lock_manifest(m.id)
    assert signing.locked_rules(locked) == (8, 3)
    db.session.commit()
    assert signing.locked_rules(locked) is None  # that read belonged to the last transaction


def test_the_parks_list_is_read_only_where_the_official_calendar_ends(world, monkeypatch):
    t = trip(world)
    m = t.start()
    reads = []
    real = checks.calendar
    monkeypatch.setattr(checks, "calendar", lambda park_id: reads.append(park_id) or real(park_id))
    official = workdays.official_working_day
    covered = next(y for y in range(2040, 2000, -1) if official(date(y, 6, 1)) is not None)
    inside = checks.receipt_due(m.park_id, date(covered, 6, 1), 5)
    assert inside.rule == workdays.Rule.OFFICIAL and reads == []
    beyond = checks.receipt_due(m.park_id, date(covered, 12, 30), 5)
    assert beyond.rule in (workdays.Rule.PARK_LIST, workdays.Rule.MIXED) and reads == [m.park_id]


@contextmanager
def counted():
    statements: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


# Measured on SQLite (PostgreSQL: 11, 5, 12, 10); before the rework a lifecycle cost 61
# statements on PostgreSQL. Each step includes reloading its user after a commit. The
# receipt's include 3 for the warning rules it runs at once (the park's warning settings,
# the receiver, its licences; market.warnings.services.after_receipt). The start and the
# receipt each include one upsert of the dashboard's flow summary (market.manifests.flows).
MOST_STATEMENTS = {"start": 13, "pickup": 6, "receipt": 14, "settle": 10}


def test_a_lifecycle_costs_no_more_statements_than_measured(world):
    """A guard against redundant reads and writes creeping back."""
    t = trip(world, quantity="10")
    for user in (t.generator, t.transporter, t.recycler):
        db.session.refresh(user)
    costs = {}
    with counted() as s:
        data = svc.StartInput(declared_kg=10_000, transporter_id=t.carrier_id())
        manifest_id = svc.start_manifest(t.generator, t.deal.id, data).id
        db.session.commit()
        costs["start"], s[:] = len(s), []
        svc.sign_pickup(t.transporter, manifest_id, pickup_input())
        db.session.commit()
        costs["pickup"], s[:] = len(s), []
        svc.sign_receipt(t.recycler, manifest_id, receipt_input(9_900))
        db.session.commit()
        costs["receipt"], s[:] = len(s), []
        svc.complete_deal(t.generator, t.deal.id)
        db.session.commit()
        costs["settle"] = len(s)
    assert all(costs[step] <= most for step, most in MOST_STATEMENTS.items()), costs
    assert svc.verify_chains() == []
