"""Migration 0008 carries the placeholder grades over as published evaluations (one
source of truth) and gives them back on the way down, on its own SQLite file with
foreign keys enforced and rows referencing the enterprises it rebuilds."""

from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from market import clock
from market.app import create_app
from market.config import TestConfig
from market.extensions import db

ROWS = """
INSERT INTO parks (id, slug, name, region_code, lat, lon, is_demo, created_at)
VALUES (1, 'p', 'P', '110115', 39.8, 116.5, 0, '2026-01-01 00:00:00');
INSERT INTO enterprises (id, park_id, name, uscc, is_generator, is_recycler, is_transporter,
  industry, address, lat, lon, contact_name, contact_phone, contact_email, credit_grade,
  credit_grade_until, created_at) VALUES
  (1, 1, 'A 厂', '91110115MA0000001X', 1, 0, 0, '', 'a', 39.8, 116.5, 'c', '1', '', 'B',
   :valid, '2026-01-01 00:00:00'),
  (2, 1, 'B 厂', '91110115MA0000002X', 0, 1, 1, '', 'a', 39.8, 116.5, 'c', '1', '', 'C',
   :past, '2026-01-01 00:00:00'),
  (3, 1, 'C 厂', '91110115MA0000003X', 0, 1, 0, '', 'a', 39.8, 116.5, 'c', '1', '', 'A',
   NULL, '2026-01-01 00:00:00');
INSERT INTO users (id, email, name, password_hash, enterprise_id, locale, active, created_at)
VALUES (1, 'u@x.cn', 'u', 'x', 1, '', 1, '2026-01-01 00:00:00');
"""


@pytest.fixture()
def fresh(tmp_path):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'migrate.db'}"

    app = create_app(Config)
    with app.app_context():
        yield app
        db.engine.dispose()


def rows(sql):
    return [tuple(r) for r in db.session.execute(text(sql))]


def test_placeholder_grades_become_evaluations_and_come_back(fresh):
    today = clock.today()
    upgrade(revision="0007")
    valid, past = today + timedelta(days=200), today - timedelta(days=3)
    for statement in ROWS.split(";"):
        if statement.strip():
            db.session.execute(text(statement), {"valid": valid, "past": past})
    db.session.commit()
    upgrade()
    assert rows(
        "SELECT enterprise_id, status, roles, grade, valid_until, ended_on"
        " FROM credit_evaluations ORDER BY enterprise_id"
    ) == [
        (1, "published", "generator", "B", valid.isoformat(), None),
        (2, "expired", "recycler,transporter", "C", past.isoformat(), today.isoformat()),
    ]  # the grade without a last day was never in force: not carried over
    assert rows("SELECT event, to_status FROM credit_events ORDER BY id") == [
        ("migrate", "published"),
        ("migrate", "expired"),
    ]
    from market.accounts.models import Enterprise

    assert db.session.get(Enterprise, 1).credit_grade == "B"
    assert db.session.get(Enterprise, 2).credit_grade is None
    assert rows("SELECT version FROM credit_grade_version") == [(0,)]
    db.session.commit()
    downgrade(revision="0007")
    assert rows("SELECT id, credit_grade, credit_grade_until FROM enterprises ORDER BY id") == [
        (1, "B", valid.isoformat()),
        (2, None, None),
        (3, None, None),
    ]
    assert rows("PRAGMA foreign_key_check") == []
