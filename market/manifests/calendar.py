"""The park administrator's manifest rules: holidays and make-up working days, tolerance
and receipt days, and the park's manifests that need a look (discrepant or overdue)."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from market.accounts.models import Enterprise, User
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.manifests.models import Manifest, ParkCalendarDay, ParkManifestSettings
from market.manifests.workdays import official_working_day

FIRST_YEAR, LAST_YEAR = 2000, 2100  # a typo guard: no park plans a holiday outside these
KINDS = ("holiday", "workday")


MAX_SPAN_DAYS = 31  # the longest holiday (春节 with its bridges) is well inside a month


@dataclass
class CalendarDayInput:
    day: date
    kind: str  # "holiday" | "workday" (调休 make-up working day)
    name: str = ""
    until: date | None = None  # a holiday spanning days: every weekday from `day` to `until`


@dataclass
class SettingsInput:
    tolerance_pct: int
    receipt_working_days: int


def _park_of(user: User) -> int:
    if not user.is_park_admin:
        raise Forbidden(_("Only the park administrator changes the park's calendar."))
    return user.admin_park_id


def official_year(year: int) -> bool:
    """Whether the official calendar (chinesecalendar) has data for `year`."""
    return official_working_day(date(year, 1, 1)) is not None


def calendar_days(park_id: int, year: int) -> list[ParkCalendarDay]:
    return list(
        db.session.execute(
            db.select(ParkCalendarDay)
            .where(
                ParkCalendarDay.park_id == park_id,
                ParkCalendarDay.day >= date(year, 1, 1),
                ParkCalendarDay.day <= date(year, 12, 31),
            )
            .order_by(ParkCalendarDay.day)
        ).scalars()
    )


def _check_day(park_id: int, day: date, kind: str) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise DomainError(
            _("Pick a day between %(a)d and %(b)d.", a=FIRST_YEAR, b=LAST_YEAR), field="day"
        )
    if official_year(day.year):
        raise DomainError(
            _(
                "The official calendar already decides every day of %(year)d; "
                "the park's list is for the years it does not cover.",
                year=day.year,
            ),
            field="day",
        )
    if kind == "holiday" and day.weekday() >= 5:
        raise DomainError(
            _("%(day)s is a weekend day: it is no working day anyway.", day=day.isoformat()),
            field="day",
        )
    if kind == "workday" and day.weekday() < 5:
        raise DomainError(
            _(
                "%(day)s is a weekday: it is a working day anyway. "
                "A make-up working day falls on a weekend.",
                day=day.isoformat(),
            ),
            field="day",
        )
    taken = db.session.execute(
        db.select(ParkCalendarDay).filter_by(park_id=park_id, day=day)
    ).scalar_one_or_none()
    if taken is not None:
        raise Conflict(_("%(day)s is already on the list.", day=day.isoformat()), field="day")


def _span(data: CalendarDayInput) -> list[date]:
    """The days to mark: one, or a holiday's weekdays from `day` to `until`."""
    if data.until is None or data.until == data.day:
        return [data.day]
    if data.kind != "holiday":
        raise DomainError(_("Make-up working days are added one at a time."), field="until")
    if data.until < data.day:
        raise DomainError(_("The last day comes before the first."), field="until")
    if (data.until - data.day).days >= MAX_SPAN_DAYS:
        raise DomainError(_("A holiday spans at most %(n)d days.", n=MAX_SPAN_DAYS), field="until")
    days = [data.day + timedelta(days=i) for i in range((data.until - data.day).days + 1)]
    weekdays = [d for d in days if d.weekday() < 5]
    if not weekdays:
        raise DomainError(
            _("These days are all weekend days: no working day to take off."), field="until"
        )
    return weekdays


def add_calendar_days(user: User, data: CalendarDayInput) -> list[ParkCalendarDay]:
    """Mark a day (or a holiday's weekdays) of a year the official calendar does not cover."""
    park_id = _park_of(user)
    if data.kind not in KINDS:
        raise DomainError(_("Choose holiday or make-up working day."), field="kind")
    if len(data.name) > 60:
        raise DomainError(_("The name is at most 60 characters."), field="name")
    rows = []
    for day in _span(data):
        _check_day(park_id, day, data.kind)
        rows.append(
            ParkCalendarDay(
                park_id=park_id, day=day, kind=data.kind, name=data.name, set_by_id=user.id
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    return rows


def remove_calendar_day(user: User, day_id: int) -> date:
    park_id = _park_of(user)
    row = db.session.get(ParkCalendarDay, day_id)
    if row is None or row.park_id != park_id:
        raise NotFound(_("That day is not on the park's list."))
    day = row.day
    db.session.delete(row)
    db.session.flush()
    return day


def settings_for(park_id: int) -> ParkManifestSettings:
    """The park's settings row, or an unsaved one with the defaults."""
    row = db.session.execute(
        db.select(ParkManifestSettings).filter_by(park_id=park_id)
    ).scalar_one_or_none()
    return row or ParkManifestSettings(
        park_id=park_id, tolerance_pct=5, receipt_working_days=5, filing_grace_days=15
    )


def save_settings(user: User, data: SettingsInput) -> ParkManifestSettings:
    park_id = _park_of(user)
    if not 1 <= data.tolerance_pct <= 50:
        raise DomainError(_("The tolerance is between 1 and 50 %."), field="tolerance_pct")
    if not 1 <= data.receipt_working_days <= 30:
        raise DomainError(
            _("The receiver has between 1 and 30 working days."), field="receipt_working_days"
        )
    row = settings_for(park_id)
    row.tolerance_pct = data.tolerance_pct
    row.receipt_working_days = data.receipt_working_days
    row.updated_by_id = user.id
    db.session.add(row)
    db.session.flush()
    return row


FLAGS = ("any", "discrepant", "overdue")


def flagged(park_id: int, flag: str = "any"):
    """The park's discrepant or overdue manifests, newest first (a select for db.paginate)."""
    conditions = {
        "discrepant": Manifest.discrepant.is_(True),
        "overdue": Manifest.overdue.is_(True),
        "any": Manifest.discrepant.is_(True) | Manifest.overdue.is_(True),
    }
    # As queries.may_see: the park's own manifests, and those carried or received by its firms.
    in_park = db.select(Enterprise.id).where(Enterprise.park_id == park_id)
    mine = (
        (Manifest.park_id == park_id)
        | Manifest.transporter_id.in_(in_park)
        | Manifest.receiver_id.in_(in_park)
    )
    return (
        db.select(Manifest)
        .where(mine, conditions[flag])
        .options(
            selectinload(Manifest.generator),
            selectinload(Manifest.transporter),
            selectinload(Manifest.receiver),
        )
        .order_by(Manifest.submitted_at.desc(), Manifest.id.desc())
    )


@dataclass(frozen=True)
class GridDay:
    day: date
    kind: str  # "work" | "weekend" | "holiday" (a weekday off) | "makeup" (a weekend worked)
    listed: bool  # on the park's list (and the list decides this year)


def month_grid(year: int, month: int, listed: dict[date, str]) -> list[list[GridDay | None]]:
    """One month as weeks of seven (Monday first), each day marked as the rules decide it;
    `listed` is the park's list {day: kind}, used only where the official calendar is silent."""
    first = date(year, month, 1)
    days_in = ((first.replace(day=28) + timedelta(days=4)).replace(day=1) - first).days
    cells: list[GridDay | None] = [None] * first.weekday()
    for n in range(days_in):
        day = first + timedelta(days=n)
        cells.append(_grid_day(day, listed))
    cells += [None] * (-len(cells) % 7)
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def _grid_day(day: date, listed: dict[date, str]) -> GridDay:
    weekend = day.weekday() >= 5
    working = official_working_day(day)
    on_list = working is None and day in listed
    if on_list:
        working = listed[day] == "workday"
    elif working is None:
        working = not weekend
    if working:
        return GridDay(day, "makeup" if weekend else "work", on_list)
    return GridDay(day, "weekend" if weekend else "holiday", on_list)
