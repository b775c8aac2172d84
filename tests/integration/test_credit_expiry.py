"""Grades end by themselves: past validity they read as expired at once, `flask credit
expire` moves them, and the enterprise and its administrators are told 60 days before."""

from datetime import timedelta

import pytest

from market import clock
from market.credit import queries, services
from market.credit.models import GradeVersion
from market.extensions import db
from market.inbox.models import Message
from tests import credit_flow as cf
from tests import ledger_factories as lf


@pytest.fixture()
def graded(world):
    world.second, world.third = cf.admins()
    world.evaluation = cf.published(world.admin, world.second, world.generator.enterprise, 1)
    return world


def on(monkeypatch, day):
    monkeypatch.setattr(clock, "now", lambda: lf.at(day))


def messages(**where):
    return [m.kind for m in db.session.execute(db.select(Message).filter_by(**where)).scalars()]


def version():
    return db.session.scalar(db.select(GradeVersion.version))


def test_a_grade_past_its_last_day_reads_as_expired_before_the_command_runs(graded, monkeypatch):
    ent, evaluation = graded.generator.enterprise, graded.evaluation
    on(monkeypatch, evaluation.valid_until)
    assert ent.credit_grade == "A" and queries.in_force(ent.id) is evaluation
    on(monkeypatch, evaluation.valid_until + timedelta(days=1))
    assert ent.credit_grade is None and ent.credit_grade_until is None
    assert queries.in_force(ent.id) is None
    assert queries.register_rows(ent.park_id) == []
    assert evaluation.status == "published"  # not moved yet


def test_the_command_expires_what_is_past_and_nothing_else(graded, monkeypatch, app):
    other = cf.published(graded.admin, graded.second, graded.other.enterprise, 1)
    before = version()
    on(monkeypatch, graded.evaluation.valid_until + timedelta(days=1))
    db.session.execute(
        db.update(type(other)).where(type(other).id == other.id)
        .values(valid_until=graded.evaluation.valid_until + timedelta(days=5))
    )  # fmt: skip
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["credit", "expire"])
    assert result.exit_code == 0, result.output
    assert "1 grades expired" in result.output
    db.session.expire_all()
    assert graded.evaluation.status == "expired" and graded.evaluation.ended_on == clock.today()
    assert other.status == "published"
    assert version() == before + 1
    assert "credit_expired" in messages(enterprise_id=graded.generator.enterprise_id)
    assert services.expire_grades() == []  # idempotent


def test_reminders_go_once_sixty_days_before_to_the_enterprise_and_the_park(graded, monkeypatch):
    evaluation = graded.evaluation
    on(monkeypatch, evaluation.valid_until - timedelta(days=61))
    assert services.send_reminders() == []
    on(monkeypatch, evaluation.valid_until - timedelta(days=60))
    assert services.send_reminders() == [evaluation.id]
    db.session.commit()
    assert services.send_reminders() == []
    on(monkeypatch, evaluation.valid_until - timedelta(days=10))
    assert services.send_reminders() == []
    assert messages(enterprise_id=graded.generator.enterprise_id).count("credit_expiring") == 1
    assert messages(park_id=evaluation.park_id) == ["credit_expiring"]
    assert ("remind", "published", "published") in cf.events(evaluation)


def test_the_parks_reminder_days_apply(graded, monkeypatch):
    from market.credit import settings

    settings.update_settings(graded.admin, graded.evaluation.park_id, {"reminder_days": 90})
    on(monkeypatch, graded.evaluation.valid_until - timedelta(days=90))
    assert services.send_reminders() == [graded.evaluation.id]


def test_park_administrators_read_the_parks_messages_in_their_inbox(graded, monkeypatch, app):
    on(monkeypatch, graded.evaluation.valid_until - timedelta(days=30))
    services.send_reminders()
    db.session.commit()
    from market.inbox.services import unread_count

    assert unread_count(graded.admin) == unread_count(graded.second) == 1
    assert unread_count(graded.admin_elsewhere) == 0
    client = app.test_client()
    from tests.conftest import login

    login(client, graded.second)
    page = client.get("/inbox/").get_data(as_text=True)
    assert graded.generator.enterprise.name in page
    assert unread_count(graded.admin) == 0  # one inbox for the park's administrators
