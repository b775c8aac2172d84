"""Warnings raced on PostgreSQL: two runs at once raise each cause once; two administrators
or an administrator and the enterprise acting at once leave one outcome."""

from datetime import timedelta
from functools import partial

import pytest

from market import clock
from market.extensions import db
from market.warnings import services
from market.warnings.models import EarlyWarning, WarningEventRow
from market.warnings.rules import Cause, Level, RuleKey, Settings
from tests import factories
from tests.integration.test_races import in_parallel, postgres_only, user  # noqa: F401

pytestmark = pytest.mark.postgres
RUNS = 6


def run(park_id: int):
    return services.run_park(park_id).raised


def test_two_runs_at_once_raise_each_cause_once(world):
    park_id = world.admin.admin_park_id
    for _ in range(3):
        lot = factories.steel_lot(world.generator)
        lot.published_at = clock.now() - timedelta(days=30)
    db.session.commit()
    for _ in range(RUNS):
        results = in_parallel(partial(run, park_id), partial(run, park_id), partial(run, park_id))
        assert all(isinstance(r, int) for r in results), results
        rows = db.session.execute(db.select(EarlyWarning)).scalars().all()
        assert len(rows) == 3
        raises = db.session.execute(
            db.select(db.func.count(WarningEventRow.id)).filter_by(event="raise")
        ).scalar()
        assert raises == 3
        db.session.execute(db.delete(WarningEventRow))
        db.session.execute(db.delete(EarlyWarning))
        db.session.commit()


def _medium(world, key: str) -> int:
    cause = Cause(
        RuleKey.STOCK_HELD,
        world.generator.enterprise_id,
        key,
        Level.MEDIUM,
        {"code": "X", "kg": 1, "days": 400, "since": "2025-01-01", "limit": 365},
    )
    row = services.raise_cause(world.admin.admin_park_id, cause, clock.today(), Settings())
    db.session.commit()
    return row.id  # fmt: skip


def accept(admin_id: int, warning_id: int) -> str:
    return services.accept(user(admin_id), warning_id, "ok").status


def send_back(admin_id: int, warning_id: int) -> str:
    return services.return_(user(admin_id), warning_id, "not yet").status


def test_accept_and_return_at_once_leave_one_outcome(world):
    second = factories.user(admin_of=factories.park("north"))
    db.session.commit()
    first_id, second_id = world.admin.id, second.id  # plain ids: rows belong to a session
    for i in range(RUNS):
        warning_id = _medium(world, f"k:{i}")
        services.forward(world.admin, warning_id)
        services.respond(world.generator, warning_id, "已整改")
        db.session.commit()
        results = in_parallel(partial(accept, first_id, warning_id),
                              partial(send_back, second_id, warning_id))  # fmt: skip
        outcomes = [r for r in results if isinstance(r, str)]
        assert len(outcomes) == 1, results
        row = db.session.get(EarlyWarning, warning_id)
        assert row.status == outcomes[0]
        steps = (
            db.session.execute(db.select(WarningEventRow.event).filter_by(warning_id=warning_id))
            .scalars()
            .all()
        )
        assert steps.count("accept") + steps.count("return") == 1
