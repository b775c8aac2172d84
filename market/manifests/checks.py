"""What a manifest service checks before it changes anything: weights, plates, phones,
times and treatments, each refused with a message in the user's language and the form
field it concerns; and the park's rules (tolerance, working days, calendar, serials)."""

import os
import re
from datetime import datetime, timedelta
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy import bindparam, create_engine, func, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from market.accounts.models import Enterprise
from market.db import utcnow
from market.errors import Conflict, DomainError
from market.extensions import db
from market.manifests import numbering, plates, weights, workdays
from market.manifests.models import ManifestSerial, ParkCalendarDay, ParkManifestSettings

# 利用 / 处置 and their ways (GB 34330 and the transfer form's 利用/处置方式)
TREATMENT_METHODS: dict[str, tuple[str, ...]] = {
    "utilise": ("再生利用", "综合利用", "回收金属", "协同处置利用", "其他利用"),
    "dispose": ("焚烧", "填埋", "物理化学处理", "水泥窑协同处置", "其他处置"),
}
# A phone clock may run a little ahead of the server's; beyond this a time is "in the future".
CLOCK_SKEW = timedelta(minutes=5)
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?")
_PHONE_DROPPED = re.compile(r"[\s()（）]")
_COUNTRY = re.compile(r"^(\+86|0086|86)-?")


def weight(kg, field: str, what: str) -> int:
    """A weighed or declared weight in whole kg for one vehicle trip, or DomainError."""
    problem = weights.weight_problem(kg)
    if problem is None:
        return kg
    messages = {
        weights.WeightProblem.NOT_WHOLE: _(
            "Enter the %(what)s as a whole number of kilograms.", what=what
        ),
        weights.WeightProblem.ZERO: _("The %(what)s cannot be zero.", what=what),
        weights.WeightProblem.NEGATIVE: _("The %(what)s cannot be negative.", what=what),
        weights.WeightProblem.TOO_HEAVY: _(
            "The %(what)s is more than one vehicle carries (%(limit)s kg); "
            "check tonnes against kilograms.",
            what=what,
            limit=weights.ROAD_LIMIT_KG,
        ),
    }
    raise DomainError(messages[problem], field=field)


def plate(raw) -> str:
    try:
        return plates.normalise_plate(raw if isinstance(raw, str) else "")
    except plates.PlateError as exc:
        messages = {
            plates.PlateProblem.EMPTY: _("Enter the vehicle's plate."),
            plates.PlateProblem.WRONG_LENGTH: _(
                "A plate has 7 characters, or 8 for a new-energy vehicle."
            ),
            plates.PlateProblem.UNKNOWN_PROVINCE: _(
                "A plate starts with a province's abbreviation, e.g. 京 or 鲁."
            ),
            plates.PlateProblem.BAD_LETTER: _(
                "The plate's second character is a letter A–Z (not I or O)."
            ),
            plates.PlateProblem.BAD_CHARACTER: _(
                "The plate holds a character that is not allowed (I, O or a symbol)."
            ),
            plates.PlateProblem.SPECIAL_USE: _(
                "Learner, police, consular and test plates do not carry waste."
            ),
            plates.PlateProblem.NEW_ENERGY_PATTERN: _(
                "A new-energy plate has D or F right after the letter, or at its end."
            ),
        }
        raise DomainError(messages[exc.problem], field="plate") from None


def phone(raw) -> str:
    text = _PHONE_DROPPED.sub("", raw if isinstance(raw, str) else "")
    text = _COUNTRY.sub("", text) if len(text) > 11 else text
    if _MOBILE.fullmatch(text) or _LANDLINE.fullmatch(text):
        return text
    raise DomainError(
        _("Enter a mobile number (11 digits) or a landline with its area code."),
        field="driver_phone",
    )


def text(raw, field: str, label: str, max_len: int, required: bool = True) -> str:
    value = raw.strip() if isinstance(raw, str) else ""
    if required and not value:
        raise DomainError(_("Enter the %(label)s.", label=label), field=field)
    if len(value) > max_len:
        raise DomainError(
            _("The %(label)s is longer than %(n)s characters.", label=label, n=max_len),
            field=field,
        )
    return value


def instant(at, field: str, not_before: datetime | None, before_message: str) -> datetime:
    """An aware time, not in the future and not before `not_before`."""
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise DomainError(_("Enter a date and time."), field=field)
    if at > utcnow() + CLOCK_SKEW:
        raise DomainError(_("This time is in the future."), field=field)
    # Times are typed to the minute: a pickup typed 10:30 follows a submission at 10:30:45.
    if not_before is not None and at < not_before.replace(second=0, microsecond=0):
        raise DomainError(before_message, field=field)
    return at


def treatment(kind, method) -> tuple[str, str]:
    if kind not in TREATMENT_METHODS:
        raise DomainError(_("Choose utilisation or disposal."), field="treatment")
    if method not in TREATMENT_METHODS[kind]:
        raise DomainError(_("Choose a way of treatment from the list."), field="treatment_method")
    return kind, method


def enterprise(enterprise_id, field: str) -> Enterprise:
    row = None
    if isinstance(enterprise_id, int) and not isinstance(enterprise_id, bool):
        row = db.session.get(Enterprise, enterprise_id)
    if row is None:
        raise DomainError(_("Choose an enterprise from the list."), field=field)
    return row


_REQUEST_KEY = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def request_key(raw) -> str | None:
    """An idempotency key: 8 to 64 letters, digits and . _ : - (a UUID, or what a form
    made), or None when none was sent."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not _REQUEST_KEY.fullmatch(raw):
        raise DomainError(
            _("A request key is 8 to 64 letters, digits, dots, colons, dashes or underscores."),
            field="request_key",
        )
    return raw


def count(value, field: str, limit: int = 100_000) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise DomainError(_("Enter a whole number from 0 to %(limit)s.", limit=limit), field=field)
    return value


def settings(park_id: int) -> ParkManifestSettings:
    """The park's manifest rules, or the defaults (±5%, 5 working days) if never set."""
    row = db.session.execute(
        db.select(ParkManifestSettings).filter_by(park_id=park_id)
    ).scalar_one_or_none()
    return row or ParkManifestSettings(park_id=park_id, tolerance_pct=5, receipt_working_days=5)


def tolerance(park_id: int, pct: int | None = None) -> Fraction:
    """The park's tolerance; `pct` when the caller has read it already (with the lock)."""
    return Fraction(settings(park_id).tolerance_pct if pct is None else pct, 100)


def calendar(park_id: int) -> workdays.WorkingCalendar:
    rows = db.session.execute(db.select(ParkCalendarDay).filter_by(park_id=park_id)).scalars()
    holidays, working = set(), set()
    for row in rows:
        (holidays if row.kind == "holiday" else working).add(row.day)
    return workdays.WorkingCalendar(frozenset(holidays), frozenset(working))


def receipt_due(park_id: int, pickup_day, days: int | None = None) -> workdays.Due:
    """The receipt's due date; `days` when the caller has read the park's rule already.
    The park's list counts only where the official calendar has no data: when the official
    calendar decides every day of the span, the list is not read."""
    days = settings(park_id).receipt_working_days if days is None else days
    official = workdays.add_working_days(pickup_day, days, workdays.WorkingCalendar())
    if official.rule == workdays.Rule.OFFICIAL:
        return official
    return workdays.add_working_days(pickup_day, days, calendar(park_id))


def allocate_number(region: str, year: int) -> numbering.ManifestNumber:
    """The next serial of `region` in `year`: one conditional UPDATE … RETURNING (the row
    lock it takes orders parallel allocations); only when the year's row is missing, an
    INSERT … ON CONFLICT DO NOTHING first and the UPDATE again.

    On PostgreSQL the allocation is its own transaction, committed at once on another
    connection, so the region-year's row is locked for that one statement and not until
    the caller's start commits (which serialised every start of a region). The cost: a
    start that fails after its number was allocated leaves that serial unused — numbers
    are never reused nor duplicated, but a failed start can leave a gap (every check of a
    start runs before the allocation, so only a database failure after it can). The
    allocation's commit does not wait for its WAL flush: a manifest that uses the number
    commits later with a synchronous commit, which flushes the allocation with it; after
    a crash before that, neither exists. On SQLite (one writer at a time anyway) the
    allocation stays in the caller's transaction and numbers stay gap-free."""
    try:
        numbering.check_region(region)
        numbering.check_year(year)
    except numbering.NumberError:
        raise Conflict(_("The park has no valid region code; ask its administrator.")) from None
    if db.session.get_bind().dialect.name == "postgresql":
        serial = _allocate_apart(region, year)
    else:
        serial = _allocate(db.session, region, year, sqlite_insert, _NEXT_SERIAL)
    if serial is None:
        raise Conflict(_("All manifest numbers of this year are used; ask the administrator."))
    return numbering.ManifestNumber(year, region, serial)


# (process, the app's engine) -> (that engine, an autocommit engine on the same database
# with its own small pool): an allocation never waits for one of the sessions'
# connections, which may all be held by transactions waiting to allocate.
_ALLOCATORS: dict[tuple, tuple] = {}


def _allocator():
    main = db.engine
    key = (os.getpid(), id(main))
    found = _ALLOCATORS.get(key)
    if found is None or found[0] is not main:
        # No pre-ping (a round trip per allocation): a dead connection is retried instead.
        engine = create_engine(main.url, isolation_level="AUTOCOMMIT", pool_size=2,
                               max_overflow=8)  # fmt: skip
        found = _ALLOCATORS[key] = (main, engine)
    return found[1]


def _allocate_apart(region: str, year: int) -> int | None:
    """On the serial engine; a connection found dead (the server restarted) is replaced
    and the allocation tried once more — a serial it may have taken stays a gap."""
    for attempt in (1, 2):
        try:
            with _allocator().connect() as conn:
                return _allocate(conn, region, year, pg_insert, _NEXT_SERIAL_PG)
        except DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                raise
    return None  # not reached


def _allocate(executor, region: str, year: int, insert, statement) -> int | None:
    params = {"serial_region": region, "serial_year": year}
    serial = executor.execute(statement, params).scalar_one_or_none()
    if serial is None:  # the region's first manifest of the year (or all serials used)
        executor.execute(
            insert(ManifestSerial)
            .values(region_code=region, year=year, last_serial=0)
            .on_conflict_do_nothing(index_elements=["region_code", "year"])
        )
        serial = executor.execute(statement, params).scalar_one_or_none()
    return serial


_SERIAL_ROW = (
    ManifestSerial.region_code == bindparam("serial_region"),
    ManifestSerial.year == bindparam("serial_year"),
    ManifestSerial.last_serial < numbering.MAX_SERIAL,
)
_NEXT_SERIAL = (
    update(ManifestSerial)
    .where(*_SERIAL_ROW)
    .values(last_serial=ManifestSerial.last_serial + 1)
    .returning(ManifestSerial.last_serial)
    .execution_options(synchronize_session=False)
)
# PostgreSQL, run alone in autocommit: the filter sets synchronous_commit off for this
# statement's own transaction only (set_config(…, true) is SET LOCAL; it is volatile, so
# it runs on the row the key finds), and the row lock is released without waiting for
# the WAL flush (see allocate_number).
_ASYNC_COMMIT = func.set_config("synchronous_commit", "off", true()) == "off"
_NEXT_SERIAL_PG = (
    update(ManifestSerial.__table__)
    .where(*_SERIAL_ROW, _ASYNC_COMMIT)
    .values(last_serial=ManifestSerial.last_serial + 1)
    .returning(ManifestSerial.last_serial)
)
