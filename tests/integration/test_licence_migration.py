"""Migration 0013 carries existing licences over as approved (with an event row each),
makes each enterprise's first user its administrator and every enterprise active; on its
own SQLite file, up and down."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from market.app import create_app
from market.config import TestConfig
from market.extensions import db

ROWS = """
INSERT INTO parks (id, slug, name, region_code, lat, lon, is_demo, created_at)
VALUES (1, 'p', 'P', '110115', 39.8, 116.5, 0, '2026-01-01 00:00:00');
INSERT INTO enterprises (id, park_id, name, uscc, is_generator, is_recycler, is_transporter,
  industry, address, lat, lon, contact_name, contact_phone, contact_email, created_at) VALUES
  (1, 1, 'A 厂', '91110115MA0000001X', 1, 0, 0, '', 'a', 39.8, 116.5, 'c', '1', '',
   '2026-01-01 00:00:00'),
  (2, 1, 'B 厂', '91110115MA0000002X', 0, 1, 0, '', 'a', 39.8, 116.5, 'c', '1', '',
   '2026-01-01 00:00:00');
INSERT INTO users (id, email, name, password_hash, enterprise_id, admin_park_id, locale,
  active, created_at) VALUES
  (1, 'a1@x.cn', 'u', 'x', 1, NULL, '', 1, '2026-01-01 00:00:00'),
  (2, 'a2@x.cn', 'u', 'x', 1, NULL, '', 1, '2026-01-01 00:00:00'),
  (3, 'b1@x.cn', 'u', 'x', 2, NULL, '', 1, '2026-01-01 00:00:00'),
  (4, 'admin@x.cn', 'u', 'x', NULL, 1, '', 1, '2026-01-01 00:00:00');
INSERT INTO licences (id, enterprise_id, number, capacity_kg_per_year, valid_from, valid_until)
VALUES (1, 2, 'HW-1', 1000, '2026-01-01', '2028-01-01');
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


def test_existing_licences_are_approved_and_first_users_administer(fresh):
    upgrade(revision="0010")
    for statement in ROWS.split(";"):
        if statement.strip():
            db.session.execute(text(statement))
    db.session.commit()
    upgrade(revision="0013")
    assert rows("SELECT id, status FROM licences") == [(1, "approved")]
    assert rows("SELECT licence_id, event, to_status FROM licence_events") == [
        (1, "migrate", "approved")
    ]
    assert rows("SELECT id, is_enterprise_admin FROM users ORDER BY id") == [
        (1, 1), (2, 0), (3, 1), (4, 0),
    ]  # fmt: skip
    assert rows("SELECT DISTINCT status FROM enterprises") == [("active",)]
    # a new row without a status is pending, not approved
    db.session.execute(
        text(
            "INSERT INTO licences (enterprise_id, number, capacity_kg_per_year, valid_from,"
            " valid_until) VALUES (2, 'HW-2', 1, '2026-01-01', '2026-02-01')"
        )
    )
    assert rows("SELECT status FROM licences WHERE number = 'HW-2'") == [("pending",)]
    db.session.rollback()
    downgrade(revision="0010")
    assert rows("SELECT number FROM licences") == [("HW-1",)]
