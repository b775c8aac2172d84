"""Periodic generation filings (申报): filing, amending, filing tiers and who has filed what.

A generator files, per waste code and period, what it generated. The period's kind is the
kind of the filing tier in force on the period's last day (the same rule `periods_due` uses
to decide what is owed), so a period still owed from before a tier change can be filed.
Without a tier row an enterprise files monthly from the day it registered.
A filing is never filed twice: a correction goes through `amend_filing`, which keeps the
old values in a FilingAmendment row and leaves the filing day as it was.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from market import clock
from market.accounts.models import Enterprise, Role, User
from market.catalog.models import WasteCode
from market.catalog.services import resolve_code
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.manifests import periods
from market.manifests.models import Filing, FilingAmendment, FilingTier, ParkManifestSettings
from market.manifests.periods import Kind, Period, PeriodError, Problem

KINDS: Mapping[str, Kind] = {
    "weekly": Kind.WEEK,
    "monthly": Kind.MONTH,
    "quarterly": Kind.QUARTER,
    "yearly": Kind.YEAR,
}
TIER_OF = {kind: name for name, kind in KINDS.items()}
DEFAULT_TIER = "monthly"
MAX_KG = 10_000_000_000  # the filings table's check: 10 million tonnes
MAX_NOTE, MAX_REASON = 2000, 500


@dataclass
class FilingInput:
    waste_code: str
    period_key: str
    generated_kg: int
    stock_kg: int | None = None
    note: str = ""


@dataclass
class AmendInput:
    generated_kg: int
    reason: str
    stock_kg: int | None = None
    note: str | None = None  # None keeps the note as it is


def tiers_of(enterprise: Enterprise) -> list[periods.Tier]:
    rows = db.session.execute(
        db.select(FilingTier).filter_by(enterprise_id=enterprise.id)
    ).scalars()
    return tiers_from(enterprise, list(rows))


def tiers_from(enterprise: Enterprise, rows: list[FilingTier]) -> list[periods.Tier]:
    """The stored tiers, or monthly from the registration day when none is stored."""
    if rows:
        return sorted(
            (periods.Tier(r.effective_from, KINDS[r.period_kind]) for r in rows),
            key=lambda tier: tier.since,
        )
    return [periods.Tier(clock.business_day(enterprise.created_at), KINDS[DEFAULT_TIER])]


def tier_on(tiers: list[periods.Tier], day: date) -> periods.Tier | None:
    held = [tier for tier in tiers if tier.since <= day]
    return held[-1] if held else None


def due_rules(park_id: int) -> Mapping[Kind, periods.Due]:
    """HJ 1259 due dates, with the park's grace days for months and quarters.

    A grace of 0 would make a period due on its own last day, when it cannot yet be filed
    (only ended periods are filed), so the shortest grace is one day."""
    grace = db.session.execute(
        db.select(ParkManifestSettings.filing_grace_days).filter_by(park_id=park_id)
    ).scalar_one_or_none()
    if grace is None:
        return periods.DEFAULT_DUE
    days = max(grace, 1)
    return {**periods.DEFAULT_DUE, Kind.MONTH: periods.Due(days), Kind.QUARTER: periods.Due(days)}


def _kg(value, field: str, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_KG:
        raise DomainError(
            _("Enter whole kilograms from 0 to %(most)s.", most=f"{MAX_KG:,}"), field=field
        )
    return value


def _text(value, field: str, most: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(_("Say why the filing is corrected."), field=field)
    if len(text) > most:
        raise DomainError(_("At most %(n)s characters.", n=most), field=field)
    return text


def period_message(error: PeriodError) -> str:
    messages = {
        Problem.BAD_KEY: _("Write the period as 2026-W48, 2026-11, 2026-Q4 or 2026."),
        Problem.YEAR_RANGE: _("The year of the period is out of range."),
        Problem.WEEK_RANGE: _("That year has no such week."),
        Problem.MONTH_RANGE: _("The month must be from 01 to 12."),
        Problem.QUARTER_RANGE: _("The quarter must be from Q1 to Q4."),
        Problem.BAD_WINDOW: _("The start of the window is after its end."),
        Problem.FUTURE: _("Period %(key)s has not ended yet; file it from the day after its end.",
                          key=error.value),
    }  # fmt: skip
    return messages[error.problem]


def _generator_of(user: User) -> Enterprise:
    if user.enterprise is None or not user.enterprise.has_role(Role.GENERATOR):
        raise Forbidden(_("Only generators file generation reports."))
    return user.enterprise


def _period_to_file(enterprise: Enterprise, key: str, today: date) -> Period:
    try:
        period = periods.parse(key)
        periods.check_can_file(period, today)
    except PeriodError as error:
        raise DomainError(period_message(error), field="period_key") from error
    tier = tier_on(tiers_of(enterprise), period.end)
    if tier is None:
        raise DomainError(
            _("Period %(key)s ended before your filing obligations began.", key=period.key),
            field="period_key",
        )
    if tier.kind is not period.kind:
        raise DomainError(
            _("Your enterprise files %(kind)s reports for this time; %(key)s is not one.",
              kind=kind_label(tier.kind), key=period.key),
            field="period_key",
        )  # fmt: skip
    return period


def _existing(enterprise_id: int, code_id: int, key: str) -> Filing | None:
    return db.session.execute(
        db.select(Filing).filter_by(enterprise_id=enterprise_id, waste_code_id=code_id,
                                    period_key=key)
    ).scalar_one_or_none()  # fmt: skip


def _duplicate(code: WasteCode, key: str) -> Conflict:
    return Conflict(
        _("%(code)s for %(key)s is already filed. To change it, amend that filing.",
          code=code.code, key=key),
        field="period_key",
    )  # fmt: skip


def file_generation(user: User, data: FilingInput) -> Filing:
    """Record one period's generation of one code; a second filing of it is refused."""
    enterprise = _generator_of(user)
    today = clock.today()
    generated = _kg(data.generated_kg, "generated_kg")
    stock = _kg(data.stock_kg, "stock_kg", optional=True)
    note = _text(data.note, "note", MAX_NOTE)
    code = resolve_code(data.waste_code, enterprise.park_id)
    period = _period_to_file(enterprise, data.period_key, today)
    if _existing(enterprise.id, code.id, period.key) is not None:
        raise _duplicate(code, period.key)
    filing = Filing(
        enterprise_id=enterprise.id, waste_code_id=code.id, period_kind=TIER_OF[period.kind],
        period_key=period.key, period_start=period.start, period_end=period.end,
        generated_kg=generated, stock_kg=stock, note=note, filed_on=today, filed_by_id=user.id,
        version=1,
    )  # fmt: skip
    try:
        with db.session.begin_nested():
            db.session.add(filing)
    except IntegrityError as error:  # the same filing sent twice at once
        raise _duplicate(code, period.key) from error
    return filing


def amend_filing(user: User, filing_id: int, data: AmendInput) -> Filing:
    """A correction: the old values go to a FilingAmendment row, the filing day stays."""
    enterprise = _generator_of(user)
    filing = db.session.get(Filing, filing_id)
    if filing is None or filing.enterprise_id != enterprise.id:
        raise NotFound(_("No such filing."))
    generated = _kg(data.generated_kg, "generated_kg")
    stock = _kg(data.stock_kg, "stock_kg", optional=True)
    reason = _text(data.reason, "reason", MAX_REASON, required=True)
    note = filing.note if data.note is None else _text(data.note, "note", MAX_NOTE)
    if (generated, stock, note) == (filing.generated_kg, filing.stock_kg, filing.note):
        raise DomainError(_("Nothing changed."), field="generated_kg")
    old = (filing.generated_kg, filing.stock_kg, filing.note, filing.version)
    moved = db.session.execute(
        update(Filing)
        .where(Filing.id == filing.id, Filing.version == old[3])
        .values(generated_kg=generated, stock_kg=stock, note=note, version=old[3] + 1)
    ).rowcount
    if moved != 1:
        raise Conflict(_("This filing was changed meanwhile. Reload it and try again."))
    db.session.add(
        FilingAmendment(
            filing_id=filing.id, version=old[3] + 1, old_generated_kg=old[0], old_stock_kg=old[1],
            old_note=old[2], reason=reason, by_id=user.id, on=clock.today(),
        )
    )  # fmt: skip
    db.session.flush()
    db.session.refresh(filing)
    return filing


def kind_label(kind: Kind | str) -> str:
    labels = {
        Kind.WEEK: _("weekly"),
        Kind.MONTH: _("monthly"),
        Kind.QUARTER: _("quarterly"),
        Kind.YEAR: _("yearly"),
    }
    return labels[KINDS.get(kind, kind) if isinstance(kind, str) else kind]


def set_filing_tier(user: User, enterprise_id: int, kind: str, effective_from: date):
    """The park administrator sets how often a generator of the park files, from a day on.

    Refused when filings already made from that day on (until the next tier) are of
    another kind: they would no longer be what the enterprise owes."""
    if not user.is_park_admin:
        raise Forbidden(_("Only the park administrator sets filing tiers."))
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None or enterprise.park_id != user.admin_park_id:
        raise NotFound(_("No such enterprise in your park."))
    if not enterprise.has_role(Role.GENERATOR):
        raise DomainError(_("Only generators file generation reports."), field="period_kind")
    if kind not in KINDS:
        raise DomainError(_("Choose weekly, monthly, quarterly or yearly."), field="period_kind")
    _check_tier_day(enterprise, effective_from)
    _check_no_clash(enterprise, kind, effective_from)
    tier = FilingTier(enterprise_id=enterprise.id, period_kind=kind,
                      effective_from=effective_from, set_by_id=user.id)  # fmt: skip
    db.session.add(tier)
    db.session.flush()
    return tier


def _check_tier_day(enterprise: Enterprise, day: date) -> None:
    if not isinstance(day, date) or not date(2000, 1, 1) <= day <= clock.today() + timedelta(366):
        raise DomainError(_("Choose a day from 2000 to one year ahead."), field="effective_from")
    taken = db.session.execute(
        db.select(FilingTier.id).filter_by(enterprise_id=enterprise.id, effective_from=day)
    ).first()
    if taken:
        raise Conflict(_("A tier already starts on that day."), field="effective_from")


def _check_no_clash(enterprise: Enterprise, kind: str, day: date) -> None:
    later = db.session.execute(
        db.select(db.func.min(FilingTier.effective_from)).where(
            FilingTier.enterprise_id == enterprise.id, FilingTier.effective_from > day
        )
    ).scalar()
    query = db.select(db.func.count(Filing.id)).where(
        Filing.enterprise_id == enterprise.id,
        Filing.period_end >= day,
        Filing.period_kind != kind,
    )
    if later is not None:
        query = query.where(Filing.period_end < later)
    clashes = db.session.execute(query).scalar()
    if clashes:
        raise Conflict(
            _("%(n)s filings from that day on are of another period kind; choose a later day.",
              n=clashes),
            field="effective_from",
        )  # fmt: skip


@dataclass(frozen=True)
class StatusRow:
    """One code and period owed: its due day, how it stands, and the filing if any."""

    code: WasteCode
    period: Period
    due: date
    state: periods.FilingState
    filing: Filing | None
    can_file: bool  # the period has ended and nothing is filed yet


def codes_by_enterprise(enterprise_ids: list[int]) -> dict[int, dict[int, WasteCode]]:
    """The codes each generator deals in: filed, offered in a published listing or shipped."""
    from market.listings.models import SupplyListing
    from market.manifests.models import Manifest

    sources = (
        db.select(Filing.enterprise_id, Filing.waste_code_id),
        db.select(SupplyListing.enterprise_id, SupplyListing.waste_code_id).where(
            SupplyListing.status != "draft"
        ),
        db.select(Manifest.generator_id, Manifest.waste_code_id),
    )
    found: dict[int, set[int]] = {eid: set() for eid in enterprise_ids}
    for query in sources:
        owner = query.selected_columns[0]
        for eid, code_id in db.session.execute(query.where(owner.in_(enterprise_ids))):
            found[eid].add(code_id)
    wanted = set().union(*found.values()) if found else set()
    codes = {c.id: c for c in db.session.execute(
        db.select(WasteCode).where(WasteCode.id.in_(wanted))).scalars()}  # fmt: skip
    return {
        eid: dict(sorted(((i, codes[i]) for i in ids), key=lambda pair: pair[1].code))
        for eid, ids in found.items()
    }


def status_rows(
    tiers: list[periods.Tier],
    codes: Mapping[int, WasteCode],
    filed: Mapping[tuple[int, str], Filing],
    window: tuple[date, date],
    rules: Mapping[Kind, periods.Due],
    today: date,
) -> list[StatusRow]:
    rows = []
    for period in periods.periods_due(tiers, *window, rules):
        for code_id, code in codes.items():
            filing = filed.get((code_id, period.key))
            state = periods.filing_state(period, filing.filed_on if filing else None, today, rules)
            can_file = filing is None and not periods.is_future(period, today)
            rows.append(StatusRow(code, period, periods.due_date(period, rules), state, filing,
                                  can_file))  # fmt: skip
    return rows


def filing_status(enterprise: Enterprise, window: tuple[date, date]) -> list[StatusRow]:
    """Every code and period whose filing falls due in the window, newest period first."""
    if window[0] > window[1]:
        raise DomainError(_("The start of the window is after its end."), field="start")
    filed = {
        (f.waste_code_id, f.period_key): f
        for f in db.session.execute(db.select(Filing).filter_by(enterprise_id=enterprise.id))
        .scalars()
    }  # fmt: skip
    codes = codes_by_enterprise([enterprise.id])[enterprise.id]
    rows = status_rows(tiers_of(enterprise), codes, filed, window,
                       due_rules(enterprise.park_id), clock.today())  # fmt: skip
    return sorted(rows, key=lambda r: (-r.period.end.toordinal(), r.code.code))
