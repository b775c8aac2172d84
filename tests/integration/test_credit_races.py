"""Credit races settled by the database, with real parallel connections (PostgreSQL):
two administrators approving one evaluation, two deciding one appeal, and two runs of
the expiry command."""

from datetime import timedelta
from functools import partial

import pytest

from market import clock
from market.credit import services
from market.credit.models import CreditEventRow, Evaluation
from market.errors import Conflict
from market.extensions import db
from tests import credit_flow as cf
from tests import factories
from tests.integration.test_races import in_parallel, ok, postgres_only, user  # noqa: F401

RUNS = 6

pytestmark = pytest.mark.postgres


def approve(admin_id: int, evaluation_id: int) -> str:
    return services.approve_evaluation(user(admin_id), evaluation_id).status


def send_back(admin_id: int, evaluation_id: int) -> str:
    return services.return_evaluation(user(admin_id), evaluation_id, "再查").status


def events(evaluation_id: int, event: str) -> int:
    return db.session.scalar(
        db.select(db.func.count(CreditEventRow.id)).filter_by(
            evaluation_id=evaluation_id, event=event
        )
    )


def test_two_administrators_approving_at_once_give_exactly_one_publication(world):
    reviewers = cf.admins(n=3)
    for _ in range(RUNS):
        ent = factories.enterprise(("generator",))
        evaluation = cf.submitted(world.admin, ent, share=1)
        results = in_parallel(*[partial(approve, r.id, evaluation.id) for r in reviewers])
        assert len(ok(results)) == 1, results
        assert all(isinstance(r, Conflict) for r in results if r not in ok(results))
        db.session.refresh(evaluation)
        assert evaluation.status == "published"
        assert evaluation.approved_by_id in {r.id for r in reviewers}
        assert events(evaluation.id, "publish") == events(evaluation.id, "approve") == 1


def test_approving_and_returning_at_once_give_one_outcome(world):
    second, third = (a.id for a in cf.admins())
    for _ in range(RUNS):
        ent = factories.enterprise(("generator",))
        evaluation = cf.submitted(world.admin, ent, share=1)
        results = in_parallel(
            partial(approve, second, evaluation.id),
            partial(send_back, third, evaluation.id),
        )
        assert len(ok(results)) == 1, results
        db.session.refresh(evaluation)
        assert evaluation.status in {"published", "returned"}
        assert events(evaluation.id, "approve") + events(evaluation.id, "return") == 1


def test_two_publications_for_one_enterprise_never_leave_two_grades_in_force(world):
    """Two evaluations cannot be open at once; even so, the old grade is superseded once."""
    second, third = cf.admins()
    ent = factories.enterprise(("generator",))
    cf.published(world.admin, second, ent, share=1)
    second, third = second.id, third.id
    for _ in range(RUNS):
        eid = cf.submitted(world.admin, ent, share=0.5).id
        results = in_parallel(partial(approve, second, eid), partial(approve, third, eid))
        assert len(ok(results)) == 1, results
        in_force = db.session.scalar(
            db.select(db.func.count(Evaluation.id)).where(
                Evaluation.enterprise_id == ent.id,
                Evaluation.status.in_(["published", "appealed", "upheld", "changed"]),
            )
        )
        assert in_force == 1


def test_two_administrators_opening_one_enterprise_at_once_open_one_evaluation(world):
    admins = [world.admin.id, *(a.id for a in cf.admins())]
    for _ in range(RUNS):
        ent_id = factories.enterprise(("generator",)).id
        db.session.commit()
        results = in_parallel(
            *[partial(lambda a, e: services.open_evaluation(user(a), e).id, a, ent_id)
              for a in admins]
        )  # fmt: skip
        assert len(ok(results)) == 1, results
        assert all(isinstance(r, Conflict) for r in results if r not in ok(results))
        count = db.session.scalar(
            db.select(db.func.count(Evaluation.id)).filter_by(enterprise_id=ent_id)
        )
        assert count == 1


def test_two_expiry_runs_expire_each_grade_once(world, monkeypatch):
    second = cf.admins(n=1)[0]
    graded = [cf.published(world.admin, second, factories.enterprise(), 1).id for _ in range(4)]
    later = db.session.get(Evaluation, graded[0]).valid_until + timedelta(days=1)
    monkeypatch.setattr(clock, "today", lambda zone=clock.BEIJING: later)
    results = in_parallel(services.expire_grades, services.expire_grades)
    expired = [i for r in results for i in r]
    assert sorted(expired) == sorted(graded)
    assert all(events(e, "expire") == 1 for e in graded)
