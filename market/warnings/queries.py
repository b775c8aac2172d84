"""Reading warnings: the park console's list, the enterprise's own, one warning for whoever
may see it, the counts the menu shows and the closure rate (closed / raised)."""

import json
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy import func

from market.accounts.models import User
from market.credit.files import path_of
from market.errors import NotFound
from market.extensions import db
from market.warnings.models import EarlyWarning, WarningFile
from market.warnings.states import DONE, OPEN, WAITS_ON_ADMIN, WAITS_ON_ENTERPRISE


def _values(statuses) -> list[str]:
    return [s.value for s in statuses]


def console(
    user: User, category: str = "", level: str = "", status: str = "", waiting: bool = False
) -> list[EarlyWarning]:
    """The park's warnings, newest first, filtered; `status` may be "open" for all open
    (the console is a park administrator's: `visible_to` of that administrator)."""
    query = visible_to(user, category, level, status, waiting).limit(500)
    return list(db.session.execute(query).scalars())


def visible_to(
    user: User, category: str = "", level: str = "", status: str = "", waiting: bool = False
):
    """The warnings this user may see, newest first, as a query to page through: a park
    administrator's are the park's, a member's its enterprise's, anyone else's none.
    `status` may be "open" for every open one; `waiting` keeps what waits on this user."""
    if user.is_park_admin:
        query = db.select(EarlyWarning).where(EarlyWarning.park_id == user.admin_park_id)
        waits_on = WAITS_ON_ADMIN
    elif user.enterprise_id is not None:
        query = db.select(EarlyWarning).where(EarlyWarning.enterprise_id == user.enterprise_id)
        waits_on = WAITS_ON_ENTERPRISE
    else:
        query, waits_on = db.select(EarlyWarning).where(db.false()), OPEN
    if category:
        query = query.where(EarlyWarning.category == category)
    if level:
        query = query.where(EarlyWarning.level == level)
    if status == "open":
        query = query.where(EarlyWarning.status.in_(_values(OPEN)))
    elif status:
        query = query.where(EarlyWarning.status == status)
    if waiting:
        query = query.where(EarlyWarning.status.in_(_values(waits_on)))
    return query.order_by(EarlyWarning.raised_on.desc(), EarlyWarning.id.desc())


def of_enterprise(user: User) -> list[EarlyWarning]:
    """The enterprise's own warnings: what waits on it first, then the rest, newest first."""
    rows = db.session.execute(
        db.select(EarlyWarning)
        .where(EarlyWarning.enterprise_id == user.enterprise_id)
        .order_by(EarlyWarning.raised_on.desc(), EarlyWarning.id.desc())
        .limit(500)
    ).scalars()
    return sorted(rows, key=lambda w: w.status not in WAITS_ON_ENTERPRISE)


def warning_for(user: User, warning_id: int) -> EarlyWarning:
    """Only the park's administrators and the enterprise's members see a warning."""
    row = db.session.get(EarlyWarning, warning_id)
    if row is None or not may_see(user, row):
        raise NotFound(_("No such warning."))
    return row


def may_see(user: User, row: EarlyWarning) -> bool:
    if user.is_park_admin:
        return user.admin_park_id == row.park_id
    return user.enterprise_id is not None and user.enterprise_id == row.enterprise_id


def file_for(user: User, file_id: int):
    row = db.session.get(WarningFile, file_id)
    if row is None or not may_see(user, db.session.get(EarlyWarning, row.warning_id)):
        raise NotFound(_("No such file."))
    return row, path_of(row.stored_path)


def facts(row: EarlyWarning) -> dict:
    return json.loads(row.facts or "{}")


def waiting_select(user: User):
    """The count of warnings waiting on this enterprise, or on this park's administrators,
    as a select (the menu runs it with its other counts); None for nobody's."""
    if user.is_park_admin:
        where = (EarlyWarning.park_id == user.admin_park_id,
                 EarlyWarning.status.in_(_values(WAITS_ON_ADMIN)))  # fmt: skip
    elif user.enterprise_id is not None:
        where = (EarlyWarning.enterprise_id == user.enterprise_id,
                 EarlyWarning.status.in_(_values(WAITS_ON_ENTERPRISE)))  # fmt: skip
    else:
        return None
    return db.select(func.count(EarlyWarning.id)).where(*where)


def waiting_count(user: User) -> int:
    """For the menu: warnings waiting on this enterprise, or on this park's administrators."""
    stmt = waiting_select(user)
    return 0 if stmt is None else db.session.execute(stmt).scalar()


@dataclass(frozen=True)
class ClosureRate:
    raised: int
    closed: int

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.closed, self.raised) if self.raised else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{float(self.rate) * 100:.1f}%"


def closure_rate(park_id: int, start: date | None = None, end: date | None = None) -> ClosureRate:
    """Of the warnings raised in the park in [start, end], how many are closed (by the
    loop or by themselves) — the headline figure (Shandong: 97.4%)."""
    query = db.select(
        func.count(EarlyWarning.id),
        func.count(EarlyWarning.id).filter(EarlyWarning.status.in_(_values(DONE))),
    ).where(EarlyWarning.park_id == park_id)
    if start is not None:
        query = query.where(EarlyWarning.raised_on >= start)
    if end is not None:
        query = query.where(EarlyWarning.raised_on <= end)
    raised, closed = db.session.execute(query).one()
    return ClosureRate(raised or 0, closed or 0)


def counts_by(park_id: int, column: str) -> dict[str, int]:
    """Open warnings of the park per category or per level, for the console's summary."""
    col = getattr(EarlyWarning, column)
    rows = db.session.execute(
        db.select(col, func.count(EarlyWarning.id))
        .where(EarlyWarning.park_id == park_id, EarlyWarning.status.in_(_values(OPEN)))
        .group_by(col)
    ).all()
    return dict(rows)
