"""The migrations build exactly the models' schema; every UI string has Chinese."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from market.extensions import db

TRANSLATIONS = Path(__file__).resolve().parents[2] / "market" / "translations"


def test_migrations_match_the_models(ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_foreign_keys_are_enforced(ctx):
    from sqlalchemy.exc import IntegrityError

    from market.accounts.models import User

    db.session.add(User(email="x@y.z", name="x", password_hash="x", enterprise_id=999999))
    try:
        db.session.flush()
        raise AssertionError("a user of a missing enterprise was accepted")
    except IntegrityError:
        db.session.rollback()


def test_haversine_sql_function_agrees_with_python(ctx):
    from market.geo import haversine_km

    sql = db.session.scalar(db.select(db.func.haversine_km(39.79, 116.51, 36.68, 117.13)))
    assert abs(sql - haversine_km(39.79, 116.51, 36.68, 117.13)) < 1e-6
    assert 340 < sql < 360  # Beijing E-Town to Jinan


def _catalogue():
    with open(TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


def test_every_message_has_a_chinese_translation():
    with open(TRANSLATIONS / "messages.pot", "rb") as fh:
        template = {m.id for m in read_po(fh) if m.id}
    catalogue = _catalogue()
    missing = [
        m
        for m in template
        if not catalogue.get(m) or not catalogue.get(m).string or catalogue.get(m).fuzzy
    ]
    assert missing == []


def _plain(value):
    """A plural message's id and forms as a tuple (the .mo reader gives lists)."""
    return tuple(value) if isinstance(value, list | tuple) else value


def test_the_compiled_catalogue_is_up_to_date():
    with open(TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        compiled = {_plain(m.id): _plain(m.string) for m in read_mo(fh) if m.id}
    source = {_plain(m.id): _plain(m.string) for m in _catalogue() if m.id and not m.fuzzy}
    assert compiled == source
