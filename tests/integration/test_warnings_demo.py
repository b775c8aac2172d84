"""The demo's warnings: every category, level and state, a closure rate to show, and the
loop's steps as event rows."""

from market.demo.builder import seed_demo
from market.extensions import db
from market.warnings import queries
from market.warnings.models import EarlyWarning, WarningEventRow, WarningFile
from market.warnings.rules import Category, Level
from market.warnings.states import WarningStatus


def test_the_demo_shows_every_category_level_and_state_in_each_park(ctx):
    builder = seed_demo(seed=7)
    assert builder.warnings["answered"] and builder.warnings["auto_closed"]
    park_ids = db.session.execute(db.select(EarlyWarning.park_id).distinct()).scalars().all()
    assert len(park_ids) == 2
    for park_id in park_ids:
        rows = db.session.execute(db.select(EarlyWarning).filter_by(park_id=park_id)).scalars()
        rows = list(rows)
        assert {w.category for w in rows} == set(Category)
        assert {w.level for w in rows} == set(Level)
        assert {w.status for w in rows} == set(WarningStatus)
        for category in Category:  # every category at every level
            assert {w.level for w in rows if w.category == category} == set(Level)
        rate = queries.closure_rate(park_id)
        assert 0.8 < rate.rate < 1
    steps = set(db.session.execute(db.select(WarningEventRow.event).distinct()).scalars())
    assert steps >= {"raise", "answer", "forward", "rectify", "accept", "return", "record",
                     "escalate", "auto_close"}  # fmt: skip
    assert db.session.execute(db.select(WarningFile.id)).first() is not None
    # What waits on the enterprise still has its answer day ahead: the scheduler's next run
    # escalates nothing the demo just made.
    from market import clock
    from market.warnings import services

    for park_id in park_ids:
        assert services.escalate_overdue(park_id, clock.today()) == 0
    # … and the scheduled run closes none of the made-up ones as gone.
    before = {w.id: w.status for w in db.session.execute(db.select(EarlyWarning)).scalars()}
    for park_id in park_ids:
        services.run_park(park_id)
    after = {w.id: w.status for w in db.session.execute(db.select(EarlyWarning)).scalars()}
    assert after == before
