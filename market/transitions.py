"""Applying a lifecycle's transition to a row and appending its event row: the one way a
stored status changes, shared by every lifecycle (listings, bids, deals, payments, and
next manifests, credit grades and warnings).

A `Lifecycle` names the status table (`market.lifecycle`), the event-row model and the
event row's foreign-key column. `move()` looks the move up in the table, applies it with a
conditional `UPDATE … SET status = :target WHERE id = :id AND status = :expected` checked
by rowcount (a concurrent change makes the loser fail instead of overwriting; it also
works on a row the caller has locked with `SELECT … FOR UPDATE`), brings the loaded row
up to date without touching its other pending changes, and adds the event row (common
columns: event, from_status, to_status, and actor_id and note where given; `at` is the
row's own default). Each lifecycle turns a refused move into its own user-facing error
with `refuse`. The UPDATE runs at once in the caller's transaction (after an autoflush);
the event row goes with the next flush; the view commits.

    GRADES = Lifecycle(
        table=GRADE_TRANSITIONS,  # {(status, event): next status}, a pure module's dict
        event_model=GradeEventRow,  # grade_id, event, from_status, to_status, actor_id, at, note
        foreign_key="grade_id",
        refuse=lambda row, event, raced: Conflict(_("This grade can no longer change.")),
        stamp="updated_at",
    )
    GRADES.move(grade, GradeEvent.PUBLISH, actor=user, values={"published_on": clock.today()})
    GRADES.log(grade, GradeEvent.COMMENT, actor=user, note="…")  # logged only, no move

Without `refuse`, an illegal move raises `InvalidTransition` and a lost race
`StaleTransition` (payments, moved by workers, use these).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import Column, bindparam, insert, inspect, update
from sqlalchemy.orm import ColumnProperty, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ClauseElement

from market.db import utcnow
from market.extensions import db
from market.lifecycle import InvalidTransition, next_status


class StaleTransition(InvalidTransition):
    """The row's status changed after it was read: someone else moved it first."""


def _default_refuse(row, event, raced: bool) -> Exception:
    cls = StaleTransition if raced else InvalidTransition
    return cls(getattr(row, "status", "?"), event)


@dataclass(frozen=True)
class Lifecycle:
    table: Mapping
    event_model: type
    foreign_key: str
    # (row, event, raced) -> the exception to raise: raced is False for a move the table
    # does not allow, True for a move lost to a concurrent change.
    refuse: Callable[[object, str, bool], Exception] = _default_refuse
    status: str = "status"
    actor_column: str = "actor_id"
    stamp: str | None = None  # a column set to the time of every move, e.g. "updated_at"

    def target(self, row, event) -> str:
        """The status `event` leads to from the row's status, or the lifecycle's refusal."""
        try:
            return next_status(self.table, getattr(row, self.status), event)
        except InvalidTransition:
            raise self.refuse(row, event, False) from None

    def move(self, row, event, actor=None, note: str = "", values=None, **event_columns):
        """Apply `event` to `row`; `values` are further columns set in the same UPDATE,
        `event_columns` further columns of the event row. Returns the event row."""
        source = getattr(row, self.status)
        target = self.target(row, event)
        changes = {self.status: target, **(values or {})}
        if self.stamp:
            changes.setdefault(self.stamp, utcnow())
        if not self._guarded_update(row, source, changes):
            raise self.refuse(row, event, True)
        for key, value in changes.items():
            set_committed_value(row, key, value)
        return self.log(row, event, source, target, actor, note, **event_columns)

    def log(self, row, event, source=None, target=None, actor=None, note="", **event_columns):
        """Append an event row; without source/target it records the row's current status
        on both sides (an event that moves nothing, e.g. an extended deadline)."""
        current = getattr(row, self.status)
        entry = self.event_model(
            **{self.foreign_key: row.id},
            event=event,
            from_status=current if source is None and target is None else source,
            to_status=current if target is None else target,
            **event_columns,
        )
        # Only what was given: not every event table has a note or an actor (payments
        # are moved by workers, bids carry no note).
        if actor is not None:
            setattr(entry, self.actor_column, actor.id)
        if note:
            entry.note = note
        if not _insert_now(entry, row):
            db.session.add(entry)
        return entry

    def _guarded_update(self, row, source, changes: dict) -> bool:
        built = _guarded_statement(type(row), self.status, tuple(changes))
        if built is None or any(isinstance(v, ClauseElement) for v in changes.values()):
            return self._orm_update(row, source, changes)
        stmt, pk_keys, params_of = built
        params = {f"_pk{i}": getattr(row, key) for i, key in enumerate(pk_keys)}
        params["_expected"] = source
        params.update((params_of[key], value) for key, value in changes.items())
        session = db.session()
        if session.autoflush:  # as the ORM's UPDATE would: pending rows go first
            session.flush()
        return _connection(session, type(row)).execute(stmt, params).rowcount == 1

    def _orm_update(self, row, source, changes: dict) -> bool:
        """The general path (a value that is an SQL expression, a column on another table)."""
        model = type(row)
        mapper = inspect(model)
        keys = zip(mapper.primary_key, mapper.primary_key_from_instance(row), strict=True)
        stmt = (
            update(model)
            .where(*(column == value for column, value in keys))
            .where(getattr(model, self.status) == source)
            .values(**changes)
            .execution_options(synchronize_session=False)
        )
        return db.session.execute(stmt).rowcount == 1


def _insert_now(entry, row) -> bool:
    """Insert the event row at once with a Core INSERT built once per event model, and put
    it in the session as if loaded — the same row the ORM's flush would write, without the
    unit of work's cost. Only when that changes nothing else: the row it belongs to is in
    the database already (else the foreign key could fail) and no event row of this model
    waits for a flush (else ids would no longer follow the order of the events)."""
    session = db.session()
    state = inspect(row)
    if not state.persistent or state.session is not session:
        return False
    model = type(entry)
    if any(type(pending) is model for pending in session.new):
        return False
    built = _insert_statement(model)
    if built is None:
        return False
    stmt, columns = built
    given = entry.__dict__
    params = {key: given[key] for key in columns if key in given}
    result = _connection(session, model).execute(stmt, params)
    sent = result.last_inserted_params()
    for key, column in columns.items():
        if key in given:
            continue
        if key in sent:  # a Python-side default, e.g. the event's time
            set_committed_value(entry, key, sent[key])
        elif column.server_default is None and not column.primary_key:
            set_committed_value(entry, key, None)  # as the ORM leaves an unset column
    mapper = inspect(model)
    for column, value in zip(mapper.primary_key, result.inserted_primary_key, strict=True):
        set_committed_value(entry, mapper.get_property_by_column(column).key, value)
    make_transient_to_detached(entry)
    session.add(entry)
    return True


def _connection(session, model):
    """The session's connection for `model`'s table, in its transaction: a Core statement
    on a table runs there without the ORM's execution layer (a third of its cost)."""
    return session.connection(bind_arguments={"mapper": inspect(model)})


_INSERTS: dict[type, tuple | None] = {}


def _insert_statement(model):
    """The event model's INSERT and its columns by attribute key, or None where an
    attribute is named otherwise than its column or lives on another table."""
    try:
        return _INSERTS[model]
    except KeyError:
        pass
    mapper = inspect(model)
    columns = {attr.key: attr.columns[0] for attr in mapper.column_attrs}
    plain = all(
        isinstance(column, Column) and column.table is mapper.local_table and column.key == key
        for key, column in columns.items()
    )
    found = _INSERTS[model] = (insert(mapper.local_table), columns) if plain else None
    return found


# (model, status attribute, changed attributes) -> a Core UPDATE built and compiled once,
# or None where only the ORM path will do. The hot path of every lifecycle: building the
# ORM statement anew each call cost about a quarter of a manifest step's CPU.
_STATEMENTS: dict[tuple, tuple | None] = {}


def _guarded_statement(model, status: str, keys: tuple):
    cache_key = (model, status, keys)
    try:
        return _STATEMENTS[cache_key]
    except KeyError:
        pass
    built = _build_guarded(model, status, keys)
    _STATEMENTS[cache_key] = built
    return built


def _build_guarded(model, status: str, keys: tuple):
    mapper = inspect(model)
    table = mapper.local_table
    columns = {}
    for key in (status, *keys):
        prop = mapper.attrs.get(key)
        if not isinstance(prop, ColumnProperty) or len(prop.columns) != 1:
            return None
        column = prop.columns[0]
        if not isinstance(column, Column) or column.table is not table:
            return None
        columns[key] = column
    if any(column.table is not table for column in mapper.primary_key):
        return None
    pk_keys = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
    params_of = {key: f"_v_{key}" for key in keys}
    stmt = (
        update(table)
        .where(*(c == bindparam(f"_pk{i}", type_=c.type) for i, c in enumerate(mapper.primary_key)))
        .where(columns[status] == bindparam("_expected", type_=columns[status].type))
        .values({columns[key]: bindparam(params_of[key], type_=columns[key].type) for key in keys})
    )
    return stmt, pk_keys, params_of
