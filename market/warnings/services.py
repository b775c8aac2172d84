"""Warnings: a park's settings, the run (raise once per cause, close what closes by itself,
escalate what is overdue) and every step of the loop (answer, forward, rectify, accept,
return, record the outcome). Services flush; the view or command commits."""

import json
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import insert, literal, null
from sqlalchemy.exc import IntegrityError

from market import clock
from market.accounts.models import Park, User
from market.credit.files import Upload, check, store
from market.db import UTCDateTime
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.manifests import checks
from market.manifests.models import Manifest
from market.manifests.workdays import add_working_days
from market.transitions import Lifecycle
from market.warnings import feed, rules
from market.warnings.models import EarlyWarning, WarningEventRow, WarningFile, WarningSettings
from market.warnings.rules import Cause, Level, RuleKey, Settings
from market.warnings.states import OPEN, WARNING_TRANSITIONS, initial_status, may_forward
from market.warnings.states import WarningEvent as E
from market.warnings.states import WarningStatus as S

MAX_TEXT = 2000
MAX_FILES = 5


def _refuse(row, event, raced: bool) -> Exception:
    if raced:
        return Conflict(_("Someone else changed this warning first; reload and try again."))
    return Conflict(_("This warning can no longer take this step."))


WARNINGS = Lifecycle(
    table=WARNING_TRANSITIONS,
    event_model=WarningEventRow,
    foreign_key="warning_id",
    refuse=_refuse,
    stamp="updated_at",
)


# ---- settings ----------------------------------------------------------------------------


_SETTINGS = db.select(WarningSettings).where(WarningSettings.park_id == db.bindparam("park_id"))


def settings_for(park_id: int) -> Settings:
    row = db.session.execute(_SETTINGS, {"park_id": park_id}).scalar_one_or_none()
    if row is None:
        return Settings()
    try:
        return Settings.from_dict(json.loads(row.values or "{}"))
    except (ValueError, TypeError):  # stored before a limit changed: the defaults hold
        return Settings()


def update_settings(user: User, park_id: int, values: dict) -> Settings:
    """:raises Forbidden: not this park's administrator. :raises DomainError: values the
    rules refuse (a bound out of range, the high bound not above the low one)."""
    require_admin_of(user, park_id)
    merged = {**settings_for(park_id).as_dict(), **values}
    try:
        settings = Settings.from_dict(merged)
    except ValueError as error:
        raise DomainError(_settings_message(str(error)), field=str(error).split(" ")[0]) from None
    row = db.session.execute(
        db.select(WarningSettings).filter_by(park_id=park_id)
    ).scalar_one_or_none() or WarningSettings(park_id=park_id)
    row.values = json.dumps(settings.as_dict())
    row.updated_by_id = user.id
    db.session.add(row)
    db.session.flush()
    return settings


def _settings_message(error: str) -> str:
    name = error.split(" ")[0]
    if name == "discrepancy_high_pct" and "above" in error:
        return _("The high bound must be above the low bound.")
    low, high = rules.LIMITS.get(name, (0, 0))
    return _("Enter a number from %(low)s to %(high)s.", low=low, high=high)


# ---- who may act -------------------------------------------------------------------------


def require_admin_of(user: User, park_id: int) -> None:
    if user is None or not user.is_park_admin or user.admin_park_id != park_id:
        raise Forbidden(_("Only this park's administrators may do this."))


def lock(warning_id: int) -> EarlyWarning:
    row = db.session.execute(
        db.select(EarlyWarning)
        .where(EarlyWarning.id == warning_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(_("No such warning."))
    return row


def _admin_lock(user: User, warning_id: int) -> EarlyWarning:
    """Another park's warning is not found, as if it did not exist."""
    row = lock(warning_id)
    if user is None or not user.is_park_admin or user.admin_park_id != row.park_id:
        raise NotFound(_("No such warning."))
    return row


def _member_lock(user: User, warning_id: int) -> EarlyWarning:
    row = lock(warning_id)
    if user is None or user.enterprise_id is None or user.enterprise_id != row.enterprise_id:
        raise NotFound(_("No such warning."))
    return row


def _text(value, field_name: str, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(_("This field is required."), field=field_name)
    if len(text) > MAX_TEXT:
        raise DomainError(_("At most %(n)s characters.", n=MAX_TEXT), field=field_name)
    return text


def due_after(park_id: int, day: date, settings: Settings | None = None) -> date:
    """The last day of the enterprise's answer: n working days after `day`."""
    settings = settings or settings_for(park_id)
    return add_working_days(day, settings.answer_working_days, checks.calendar(park_id)).date


# ---- the run -----------------------------------------------------------------------------


@dataclass
class RunCounts:
    raised: int = 0
    auto_closed: int = 0
    escalated: int = 0
    by_rule: dict = field(default_factory=dict)

    def add(self, other: "RunCounts") -> None:
        self.raised += other.raised
        self.auto_closed += other.auto_closed
        self.escalated += other.escalated
        for key, n in other.by_rule.items():
            self.by_rule[key] = self.by_rule.get(key, 0) + n


def _new_warning(park_id: int, cause: Cause, today: date, due: date | None) -> EarlyWarning:
    status = initial_status(cause.level)
    return EarlyWarning(
        park_id=park_id, enterprise_id=cause.enterprise_id, rule=cause.rule,
        category=cause.category, level=cause.level, status=status, cause_key=cause.key,
        facts=json.dumps(_with_manifest_numbers([dict(cause.facts)])[0], ensure_ascii=False,
                         sort_keys=True),
        auto_close=cause.auto_close, raised_on=today,
        due_on=due if status == S.SENT else None,
    )  # fmt: skip


def raise_cause(park_id: int, cause: Cause, today: date, settings: Settings):
    """Insert the warning for a cause unless one was ever raised for it (the unique key
    settles two runs at once). Returns the new warning or None."""
    taken = db.session.execute(
        db.select(EarlyWarning.id).filter_by(park_id=park_id, rule=cause.rule,
                                             cause_key=cause.key)
    ).first()  # fmt: skip
    if taken:
        return None
    due = due_after(park_id, today, settings) if initial_status(cause.level) == S.SENT else None
    row = _new_warning(park_id, cause, today, due)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        return None
    WARNINGS.log(row, E.RAISE, None, row.status, level=row.level)
    return row


def _with_manifest_numbers(facts_list: list[dict]) -> list[dict]:
    """Warnings about a manifest name it by its number (联单编号), as every page does: the
    numbers of a batch's manifests are read in one query."""
    unnamed = [f for f in facts_list if "manifest_id" in f and "manifest_number" not in f]
    ids = {f["manifest_id"] for f in unnamed}
    if ids:
        numbers = dict(db.session.execute(
            db.select(Manifest.id, Manifest.number).where(Manifest.id.in_(ids))
        ).all())  # fmt: skip
        for f in unnamed:
            if f["manifest_id"] in numbers:
                f["manifest_number"] = numbers[f["manifest_id"]]
    return facts_list


RAISE_BATCH = 2000


def raise_causes(park_id: int, causes, today: date, settings: Settings) -> int:
    """`raise_cause` for many causes, with the same outcome (the warnings and their raise
    events): the keys ever raised are read once, the new warnings and their events are
    inserted a batch at a time in two statements. A batch another run raised meanwhile
    (the unique key refuses it) is redone cause by cause. Returns how many were raised."""
    causes = list(causes)
    if not causes:
        return 0
    taken = {(rule, key) for rule, key in db.session.execute(
        db.select(EarlyWarning.rule, EarlyWarning.cause_key).where(
            EarlyWarning.park_id == park_id,
            EarlyWarning.rule.in_({c.rule.value for c in causes}))
    )}  # fmt: skip
    fresh = []
    for cause in causes:
        if (cause.rule.value, cause.key) not in taken:
            taken.add((cause.rule.value, cause.key))
            fresh.append(cause)
    due = due_after(park_id, today, settings) if fresh else None
    made = 0
    for start in range(0, len(fresh), RAISE_BATCH):
        batch = fresh[start : start + RAISE_BATCH]
        try:
            with db.session.begin_nested():
                made += _insert(park_id, batch, today, due)
        except IntegrityError:
            made += sum(1 for c in batch if raise_cause(park_id, c, today, settings))
    return made


def _insert(park_id: int, causes: list[Cause], today: date, due: date | None) -> int:
    """The warnings (one multi-row insert), then for each the raise event `WARNINGS.log`
    writes — from no status to the first one, at the warning's level — for every warning
    of the park that has no event yet: those just inserted (another run's are not visible
    before it commits, and it commits them with their events)."""
    now = clock.now()
    rows = []
    facts = _with_manifest_numbers([dict(cause.facts) for cause in causes])
    for cause, fact in zip(causes, facts, strict=True):
        status = initial_status(cause.level)
        rows.append(dict(
            park_id=park_id, enterprise_id=cause.enterprise_id, rule=cause.rule.value,
            category=cause.category.value, level=cause.level.value, status=status.value,
            cause_key=cause.key,
            facts=json.dumps(fact, ensure_ascii=False, sort_keys=True),
            auto_close=cause.auto_close, raised_on=today,
            due_on=due if status == S.SENT else None, answer="", outcome="",
            created_at=now, updated_at=now,
        ))  # fmt: skip
    db.session.execute(insert(EarlyWarning), rows)
    w, e = EarlyWarning, WarningEventRow
    at = literal(now, UTCDateTime)
    unlogged = db.select(
        w.id, literal(E.RAISE.value), null(), w.status, w.level, at, literal("")
    ).where(w.park_id == park_id, ~db.select(e.id).where(e.warning_id == w.id).exists())
    db.session.execute(insert(e).from_select(
        ["warning_id", "event", "from_status", "to_status", "level", "at", "note"], unlogged
    ))  # fmt: skip
    return len(rows)


def _auto_close(park_id: int, found: dict[RuleKey, list[Cause]], today: date) -> int:
    """Close the open warnings of rules that ran and close by themselves, whose cause the
    run no longer found."""
    closing = [rule for rule in found if rules.RULES[rule].auto_close]
    if not closing:
        return 0
    still = {(c.rule, c.key) for rule in closing for c in found[rule]}
    open_rows = db.session.execute(
        db.select(EarlyWarning.id, EarlyWarning.rule, EarlyWarning.cause_key).where(
            EarlyWarning.park_id == park_id,
            EarlyWarning.rule.in_([r.value for r in closing]),
            EarlyWarning.status.in_([s.value for s in OPEN]),
            EarlyWarning.auto_close.is_(True),  # as recorded when it was raised
        )
    ).all()
    count = 0
    for warning_id, rule, key in open_rows:
        if (rule, key) not in still:
            close_by_itself(db.session.get(EarlyWarning, warning_id), today)
            count += 1
    return count


def close_by_itself(row: EarlyWarning, today: date) -> None:
    WARNINGS.move(row, E.AUTO_CLOSE, values={"closed_on": today}, level=row.level)


def escalate_overdue(park_id: int, today: date) -> int:
    """An answer or rectification past its day: one level up, back to the administrator."""
    ids = db.session.execute(
        db.select(EarlyWarning.id).where(
            EarlyWarning.park_id == park_id,
            EarlyWarning.status.in_([S.SENT.value, S.FORWARDED.value]),
            EarlyWarning.due_on < today,
        ).order_by(EarlyWarning.id)
    ).scalars().all()  # fmt: skip
    count = 0
    for warning_id in ids:
        row = lock(warning_id)
        if row.status not in (S.SENT, S.FORWARDED) or row.due_on is None or row.due_on >= today:
            continue  # moved meanwhile
        escalate(row)
        count += 1
    return count


def escalate(row: EarlyWarning) -> None:
    """One level up and back to the administrator: the answer day has passed."""
    level = rules.level_above(row.level)
    # System steps carry no note: the page words them in the reader's language.
    WARNINGS.move(row, E.ESCALATE, values={"level": level, "due_on": None},
                  level=level)  # fmt: skip


def run_park(park_id: int, today: date | None = None) -> RunCounts:
    today = today or clock.today()
    settings = settings_for(park_id)
    found = feed.causes(park_id, today, settings)
    counts = RunCounts()
    for rule, causes in found.items():
        counts.by_rule[rule.value] = raise_causes(park_id, causes, today, settings)
        counts.raised += counts.by_rule[rule.value]
    counts.auto_closed = _auto_close(park_id, found, today)
    counts.escalated = escalate_overdue(park_id, today)
    db.session.flush()
    return counts


def run_all(today: date | None = None) -> RunCounts:
    """For the scheduler: every park, each in its own savepoint-free pass (the caller
    commits once per park)."""
    total = RunCounts()
    for park_id in db.session.execute(db.select(Park.id).order_by(Park.id)).scalars().all():
        total.add(run_park(park_id, today))
        db.session.commit()
    return total


def after_receipt(manifest) -> None:
    """Right after a receipt is signed: the rules about this one manifest (weight for the
    generator's park, licence for the receiver's) and the late-receipt warning it may close.
    Cheap on purpose (two reads when both parties share a park and nothing is found); the
    full run still runs on schedule."""
    today = clock.today()
    generator_park, receiver = manifest.park_id, manifest.receiver
    settings = {generator_park: settings_for(generator_park)}
    if receiver.park_id not in settings:
        settings[receiver.park_id] = settings_for(receiver.park_id)
    weighed = rules.Weighed(
        manifest.id,
        manifest.generator_id,
        manifest.declared_kg,
        (manifest.received_kg or 0) + (manifest.rejected_kg or 0),
    )
    for cause in rules.weight_discrepancies([weighed], settings[generator_park]):
        raise_cause(generator_park, cause, today, settings[generator_park])
    day = clock.business_day(manifest.received_at or clock.now())
    spans = {receiver.id: [(lic.valid_from, lic.valid_until) for lic in receiver.licences]}
    receipt = rules.Receipt(manifest.id, receiver.id, day)
    for cause in rules.expired_licence([receipt], spans, settings[receiver.park_id]):
        raise_cause(receiver.park_id, cause, today, settings[receiver.park_id])
    # A receipt within n calendar days of pickup is within n working days: no warning to close.
    picked = clock.business_day(manifest.picked_up_at or clock.now())
    if (today - picked).days > settings[receiver.park_id].receipt_working_days:
        _close_cause(receiver.park_id, RuleKey.LATE_RECEIPT, f"manifest:{manifest.id}", today)
    db.session.flush()  # fmt: skip


def _close_cause(park_id: int, rule: RuleKey, key: str, today: date) -> None:
    row = db.session.execute(
        db.select(EarlyWarning).filter_by(park_id=park_id, rule=rule, cause_key=key)
    ).scalar_one_or_none()
    if row is not None and row.status in OPEN and row.auto_close:
        close_by_itself(row, today)


# ---- the loop ----------------------------------------------------------------------------


def _check_files(uploads) -> None:
    if len(uploads) > MAX_FILES:
        raise DomainError(_("At most %(n)s files.", n=MAX_FILES), field="files")
    for upload in uploads:
        try:
            check(upload)  # every file before any is written
        except DomainError as error:
            raise DomainError(error.message, field="files") from None


def _store_files(row: EarlyWarning, event: WarningEventRow, user: User, uploads) -> None:
    db.session.flush()
    for upload in uploads:
        stored = store(upload)
        db.session.add(WarningFile(warning_id=row.id, event_id=event.id,
                                   uploaded_by_id=user.id, **stored.__dict__))  # fmt: skip


def respond(user: User, warning_id: int, text: str, uploads: list[Upload] = ()) -> EarlyWarning:
    """The enterprise answers a low warning (which closes it) or sends its rectification
    of a forwarded one (the administrator accepts or returns it).

    :raises NotFound: not the user's enterprise's warning.
    :raises Conflict: nothing waits for an answer (answered already, closed, with the
        administrator). :raises DomainError: no text, too many files, a file refused.
    """
    row = _member_lock(user, warning_id)
    if row.status == S.SENT:
        event, values = E.ANSWER, {"closed_on": clock.today()}
    elif row.status == S.FORWARDED:
        event, values = E.RECTIFY, {"due_on": None}
    else:
        raise Conflict(_("This warning is not waiting for your answer."))
    text = _text(text, "answer")
    uploads = list(uploads)
    _check_files(uploads)
    values["answer"] = text
    entry = WARNINGS.move(row, event, user, note=text, values=values, level=row.level)
    _store_files(row, entry, user, uploads)
    db.session.flush()
    return row


def forward(user: User, warning_id: int, note: str = "") -> EarlyWarning:
    """The administrator forwards a medium warning to the enterprise for rectification."""
    row = _admin_lock(user, warning_id)
    if row.status == S.RAISED and not may_forward(row.status, row.level):
        raise Conflict(_("A high warning needs its outcome recorded; it is not forwarded."))
    due = due_after(row.park_id, clock.today())
    WARNINGS.move(row, E.FORWARD, user, note=_text(note, "note", required=False),
                  values={"due_on": due}, level=row.level)  # fmt: skip
    db.session.flush()
    return row


def accept(user: User, warning_id: int, note: str = "") -> EarlyWarning:
    row = _admin_lock(user, warning_id)
    WARNINGS.move(row, E.ACCEPT, user, note=_text(note, "note", required=False),
                  values={"closed_on": clock.today()}, level=row.level)  # fmt: skip
    db.session.flush()
    return row


def return_(user: User, warning_id: int, reason: str) -> EarlyWarning:
    """The rectification is not enough: back to the enterprise with a reason and a new day."""
    row = _admin_lock(user, warning_id)
    WARNINGS.target(row, E.RETURN)
    due = due_after(row.park_id, clock.today())
    WARNINGS.move(row, E.RETURN, user, note=_text(reason, "reason"),
                  values={"due_on": due}, level=row.level)  # fmt: skip
    db.session.flush()
    return row


def record_outcome(user: User, warning_id: int, outcome: str) -> EarlyWarning:
    """The administrator records how a warning with them ended (required for a high one)."""
    row = _admin_lock(user, warning_id)
    WARNINGS.target(row, E.RECORD)
    text = _text(outcome, "outcome")
    WARNINGS.move(
        row,
        E.RECORD,
        user,
        note=text,
        values={"outcome": text, "closed_on": clock.today()},
        level=row.level,
    )
    db.session.flush()  # fmt: skip
    return row


__all__ = [
    "Level",
    "RunCounts",
    "accept",
    "after_receipt",
    "escalate_overdue",
    "forward",
    "raise_cause",
    "raise_causes",
    "record_outcome",
    "respond",
    "return_",
    "run_all",
    "run_park",
    "settings_for",
    "update_settings",
]
