"""Tamper evidence: every manifest event is a link of a hash chain; a row edited, deleted
(the last one too) or inserted behind the application's back is named by
`flask manifests verify`, which then exits non-zero."""

import pytest
from sqlalchemy import text

from market.extensions import db
from market.manifests import queries
from market.manifests import services as svc
from market.manifests.chain import Problem
from tests.manifest_flow import trip


@pytest.fixture()
def closed(world):
    t = trip(world)
    good = t.closed(5_000, 5_000)
    other = t.closed(5_000, 4_990)
    return good, other


def sql(statement: str, **params) -> None:
    """A change made behind the application's back, in its own transaction."""
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(text(statement), params)
    db.session.expire_all()


def problems() -> dict[str, set]:
    return {p.number: {f.problem for f in p.findings} for p in svc.verify_chains()}


def verify(app):
    return app.test_cli_runner().invoke(args=["manifests", "verify"])


def test_intact_chains_verify(app, closed):
    assert svc.verify_chains() == []
    result = verify(app)
    assert result.exit_code == 0 and "Every manifest chain verifies" in result.output
    assert all(queries.chain_ok(m) for m in closed)


def test_an_edited_weight_is_caught(app, closed):
    good, other = closed
    sql(
        "UPDATE manifest_events SET content = REPLACE(content, '4990', '5990') "
        "WHERE manifest_id = :id AND event = 'receive'",
        id=other.id,
    )
    assert problems() == {other.number: {Problem.EDITED}}
    assert not queries.chain_ok(other) and queries.chain_ok(good)
    result = verify(app)
    assert result.exit_code != 0
    assert other.number in result.output and good.number not in result.output


@pytest.mark.parametrize(
    "column, value",
    [("actor_id", None), ("note", "改过"), ("to_status", "cancelled"), ("event", "cancel")],
)
def test_an_edited_column_is_caught(closed, column, value):
    _good, other = closed
    sql(
        f"UPDATE manifest_events SET {column} = :v WHERE manifest_id = :id AND seq = 2",
        v=value,
        id=other.id,
    )
    assert Problem.EDITED in problems()[other.number]


def test_an_edited_time_is_caught(closed):
    _good, other = closed
    row = queries.history(other)[2]
    sql(
        "UPDATE manifest_events SET at = :at WHERE id = :id",
        at=row.at.replace(tzinfo=None, microsecond=0),
        id=row.id,
    )
    assert Problem.EDITED in problems()[other.number]


def test_a_deleted_middle_row_is_caught(closed):
    _good, other = closed
    sql("DELETE FROM manifest_events WHERE manifest_id = :id AND seq = 3", id=other.id)
    assert problems()[other.number] >= {Problem.GAP}


def test_a_deleted_last_row_is_caught_by_the_head(app, closed):
    good, _other = closed
    sql(
        "DELETE FROM manifest_events WHERE manifest_id = :id AND seq = "
        "(SELECT MAX(seq) FROM manifest_events WHERE manifest_id = :id)",
        id=good.id,
    )
    assert problems() == {good.number: {Problem.HEAD}}
    assert verify(app).exit_code != 0


def test_every_row_deleted_is_caught(closed):
    good, _other = closed
    sql("DELETE FROM manifest_events WHERE manifest_id = :id", id=good.id)
    assert problems() == {good.number: {Problem.HEAD}}


def test_a_rehashed_edit_still_breaks_the_next_link(closed):
    """Someone who recomputes one row's hash after editing it breaks the link after it."""
    import json

    from market.manifests import chain, signing

    _good, other = closed
    rows = queries.history(other)
    row = rows[3]  # the receipt
    data = json.loads(row.content)
    data["received_kg"] = 5_990
    row_content = json.dumps(data, ensure_ascii=False)
    fake = chain.link_hash(row.prev_hash, chain.sealed(row.seq, signing.sealed_content(row, data)))
    sql(
        "UPDATE manifest_events SET content = :c, hash = :h WHERE id = :id",
        c=row_content,
        h=fake,
        id=row.id,
    )
    assert problems()[other.number] == {Problem.BROKEN_LINK}


def test_a_manifest_row_with_a_cut_head_is_caught(closed):
    good, _other = closed
    sql("UPDATE manifests SET head_hash = :h WHERE id = :id", h="0" * 64, id=good.id)
    assert problems() == {good.number: {Problem.HEAD}}
