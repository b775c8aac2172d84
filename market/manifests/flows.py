"""The park dashboard's monthly flow summary (`ParkFlowSummary`), kept current by the
manifest services and rebuilt from the manifests.

`record(manifest, was)` is the one call the services make where a manifest's figures
change (started, cancelled, received or partly rejected, rejected, corrected): it works
out what the manifest counted for before (its columns with `was` laid over them) and now,
and adds the difference with one INSERT … ON CONFLICT DO UPDATE (PostgreSQL and SQLite),
in the caller's transaction — at its commit: the differences wait in the session and are
written, merged per row, just before it commits (or a savepoint is released), so the
summary row that every manifest of a park's month and kind shares is locked only while
the transaction commits, not for the rest of the step (measured: with the upsert in the
middle of the step, two workers starting manifests queued on that row and the lifecycle
rate fell by half). A rolled-back transaction or savepoint drops its differences.
`rebuild()` recomputes the summary from the manifests (for repairs, migrations and
bulk-loaded data); `regroup_generator` moves a generator's rows
when its industry changes."""

from collections import Counter

from sqlalchemy import case, event, func, literal, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from market import clock
from market.accounts.models import Enterprise
from market.extensions import db
from market.manifests.models import Manifest, ParkFlowSummary
from market.manifests.states import STARTED

COUNTS = ("started", "closed", "received", "received_kg")
_STARTED = tuple(s.value for s in STARTED)
_KEY = ("park_id", "month", "industry", "waste_code_id", "receiver_id", "treatment")
_FIELDS = ("status", "submitted_at", "received_at", "received_kg", "treatment")


def month(at) -> str:
    """The Beijing month "YYYY-MM" of an aware instant."""
    return clock.local(at).strftime("%Y-%m")


def month_of(column):
    """The same, in SQL, of a stored UTC time (naive UTC on both databases)."""
    if db.session.get_bind().dialect.name == "postgresql":
        local = func.timezone("Asia/Shanghai", func.timezone("UTC", column))
        return func.to_char(local, "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


def _counts(state: dict) -> Counter:
    """What one manifest in `state` counts for: {(month, treatment, column): n}."""
    out: Counter = Counter()
    if state["status"] in _STARTED and state["submitted_at"] is not None:
        started = month(state["submitted_at"])
        out[(started, "", "started")] += 1
        out[(started, "", "closed")] += state["status"] == "closed"
    if state["received_kg"] is not None and state["received_at"] is not None:
        key = (month(state["received_at"]), state["treatment"] or "")
        out[(*key, "received")] += 1
        out[(*key, "received_kg")] += state["received_kg"]
    return out


def record(manifest: Manifest, was: dict | None = None) -> None:
    """Add to the summary what `manifest` counts for now, less what it counted for before:
    `was` holds the columns that changed with their earlier values (e.g. the status before
    the move, the received weight before a correction); None for a new manifest."""
    now = {f: getattr(manifest, f) for f in _FIELDS}
    delta = _counts(now)
    if was is not None:
        delta.subtract(_counts(now | {k: v for k, v in was.items() if k in _FIELDS}))
    rows: dict[tuple, dict] = {}
    for (m, treatment, column), n in delta.items():
        if n:
            rows.setdefault((m, treatment), dict.fromkeys(COUNTS, 0))[column] += n
    if not rows:
        return
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    where = (manifest.park_id, manifest.generator_id, manifest.waste_code_id,
             manifest.receiver_id)  # fmt: skip
    session.info.setdefault(_PENDING, []).append((transaction, where, rows))


_PENDING = "market.flow_summary.pending"


def apply_pending(session: Session | None = None) -> None:
    """Write the differences recorded in this session and not yet written: one upsert, the
    rows merged per key and in key order (two transactions lock shared rows in the same
    order). Runs by itself before every commit; readers of the summary inside the same
    transaction call it first."""
    session = session or db.session()
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    merged: dict[tuple, Counter] = {}
    for _transaction, (park, generator, code, receiver), rows in pending:
        for (m, treatment), counts in rows.items():
            merged.setdefault((park, m, generator, code, receiver, treatment), Counter()).update(
                counts
            )
    values = [
        dict(park_id=park, month=m, generator_id=generator, waste_code_id=code,
             receiver_id=receiver, treatment=treatment, **{c: counts[c] for c in COUNTS})
        for (park, m, generator, code, receiver, treatment), counts in sorted(
            merged.items(), key=lambda item: tuple("" if v is None else str(v) for v in item[0])
        )
        if any(counts[c] for c in COUNTS)
    ]  # fmt: skip
    if values:
        _increment_by_generator(values, session)


def discard_pending(session: Session | None = None) -> None:
    """Forget the differences not yet written (a rebuild recomputes them)."""
    (session or db.session()).info.pop(_PENDING, None)


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    if session.info.get(_PENDING):
        apply_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)
    else:
        pending[:] = [entry for entry in pending if entry[0] is not previous_transaction]


_UPSERTS: dict[str, object] = {}  # per dialect: built once, its compiled form cached


def _upsert(dialect_name: str):
    """The upsert of one summary row whose industry is its generator's, with bound
    parameters: built once (building it per call, with the values inline, cost more Python
    than the rest of a manifest start)."""
    statement = _UPSERTS.get(dialect_name)
    if statement is None:
        dialect = postgresql if dialect_name == "postgresql" else sqlite
        table = ParkFlowSummary.__table__
        industry = (
            db.select(Enterprise.industry)
            .where(Enterprise.id == db.bindparam("generator_id"))
            .scalar_subquery()
        )
        columns = {k: db.bindparam(k) for k in _KEY if k != "industry"}
        insert = dialect.insert(table).values(
            industry=industry, **columns, **{c: db.bindparam(c) for c in COUNTS}
        )
        statement = _UPSERTS[dialect_name] = insert.on_conflict_do_update(
            index_elements=list(_KEY), set_={c: table.c[c] + insert.excluded[c] for c in COUNTS}
        )
    return statement


def _increment_by_generator(values: list[dict], session: Session) -> None:
    """The rows (keyed by generator, in key order) one upsert each, in that order — an
    executemany; two generators of one industry may share a summary row, which one
    multi-row upsert could not touch twice."""
    connection = session.connection(bind_arguments={"mapper": ParkFlowSummary})
    connection.execute(_upsert(connection.dialect.name), values)


def _increment(values: list[dict]) -> None:
    """One INSERT … ON CONFLICT DO UPDATE adding the counts; callers pass rows in key
    order, so two transactions lock the same rows in the same order."""
    session = db.session()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ParkFlowSummary).values(values)
    table = ParkFlowSummary.__table__
    statement = statement.on_conflict_do_update(
        index_elements=list(_KEY), set_={c: table.c[c] + statement.excluded[c] for c in COUNTS}
    )
    session.execute(statement)


# --- rebuilding ----------------------------------------------------------------------------


def _sources(where):
    """The manifests' counts as summary rows, unsummed: started by submitted month,
    received by received month (one select each, to be added up per key)."""
    industry = Enterprise.industry
    started = Manifest.status.in_(_STARTED)
    by_start = (
        db.select(
            Manifest.park_id.label("park_id"),
            month_of(Manifest.submitted_at).label("month"),
            industry.label("industry"),
            Manifest.waste_code_id.label("waste_code_id"),
            Manifest.receiver_id.label("receiver_id"),
            literal("").label("treatment"),
            case((started, 1), else_=0).label("started"),
            case((started & (Manifest.status == "closed"), 1), else_=0).label("closed"),
            literal(0).label("received"),
            literal(0).label("received_kg"),
        )
        .join(Enterprise, Enterprise.id == Manifest.generator_id)
        .where(where, started, Manifest.submitted_at.is_not(None))
    )
    by_receipt = (
        db.select(
            Manifest.park_id,
            month_of(Manifest.received_at),
            industry,
            Manifest.waste_code_id,
            Manifest.receiver_id,
            func.coalesce(Manifest.treatment, ""),
            literal(0),
            literal(0),
            literal(1),
            Manifest.received_kg,
        )
        .join(Enterprise, Enterprise.id == Manifest.generator_id)
        .where(where, Manifest.received_kg.is_not(None), Manifest.received_at.is_not(None))
    )
    return union_all(by_start, by_receipt).subquery()


def _grouped(where):
    both = _sources(where)
    keys = [both.c[k] for k in _KEY]
    return db.select(*keys, *(func.sum(both.c[c]) for c in COUNTS)).group_by(*keys)


def rebuild(park_id: int | None = None) -> int:
    """Recompute the summary (of one park, or all) from the manifests, in the caller's
    transaction; returns the number of summary rows written."""
    apply_pending()  # then recomputed: the manifests hold what those differences added
    table = ParkFlowSummary.__table__
    delete = table.delete()
    where = db.true()
    if park_id is not None:
        delete = delete.where(table.c.park_id == park_id)
        where = Manifest.park_id == park_id
    db.session.execute(delete)
    db.session.execute(table.insert().from_select([*_KEY, *COUNTS], _grouped(where)))
    count = db.select(func.count()).select_from(table)
    if park_id is not None:
        count = count.where(table.c.park_id == park_id)
    return db.session.scalar(count)  # the INSERT's rowcount is -1 on psycopg


def regroup_generator(generator_id: int, old_industry: str) -> None:
    """After a generator's industry changed (in this transaction): move its manifests'
    counts from the rows of the old industry to those of the new (the key has the
    industry, not the generator)."""
    apply_pending()
    for row in db.session.execute(_grouped(Manifest.generator_id == generator_id)).all():
        park, m, industry, code, receiver, treatment, *counts = row
        if industry == old_industry:
            return
        key = dict(park_id=park, month=m, waste_code_id=code, receiver_id=receiver,
                   treatment=treatment)  # fmt: skip
        moved = dict(zip(COUNTS, (int(n or 0) for n in counts), strict=True))
        _increment([
            dict(key, industry=name, **{c: sign * n for c, n in moved.items()})
            for name, sign in sorted(((old_industry, -1), (industry, 1)))
        ])  # fmt: skip


def snapshot(park_id: int | None = None) -> dict:
    """The summary as {key: counts}, rows that count nothing left out (a row can fall to
    zero after a cancellation or correction; a rebuild writes none): for comparing."""
    apply_pending()
    table = ParkFlowSummary.__table__
    query = db.select(table)
    if park_id is not None:
        query = query.where(table.c.park_id == park_id)
    out = {}
    for row in db.session.execute(query).mappings():
        counts = tuple(int(row[c]) for c in COUNTS)
        if any(counts):
            out[tuple(row[k] for k in _KEY)] = counts
    return out
