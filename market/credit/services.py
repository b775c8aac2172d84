"""The grading workflow: an administrator opens an evaluation (the online part computed),
marks the checklist with notes and evidence and submits; a second administrator of the
same park approves it, which publishes the grade (valid two years, superseding the one
before), or returns it with a reason. Appeals, violations, expiry and reminders are in
market.credit.appeals and market.credit.expiry; this module re-exports them, so callers
import every service from here."""

import json
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from market import clock
from market.accounts.models import User
from market.credit import online, scoring, steering
from market.credit import settings as credit_settings
from market.credit.appeals import (
    confirm_violation,
    decide_appeal,
    dismiss_violation,
    file_appeal,
    report_violation,
)
from market.credit.common import (
    EVALUATIONS,
    enterprise_in_park,
    lock_evaluation,
    require_admin_of,
)
from market.credit.expiry import expire_grades, send_reminders
from market.credit.files import Upload, store
from market.credit.models import Evaluation, EvidenceFile, Mark
from market.credit.states import EvaluationEvent as E
from market.credit.states import EvaluationStatus as S
from market.db import utcnow
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.inbox.services import notify
from market.manifests.periods import add_months

__all__ = [
    "approve_evaluation",
    "attach_evidence",
    "cancel_evaluation",
    "confirm_violation",
    "decide_appeal",
    "dismiss_violation",
    "expire_grades",
    "file_appeal",
    "open_evaluation",
    "refresh_online",
    "remove_evidence",
    "report_violation",
    "return_evaluation",
    "send_reminders",
    "set_mark",
    "submit_evaluation",
]

MAX_NOTE = 2000


def default_window(park_id: int, today: date) -> tuple[date, date]:
    months = credit_settings.settings_row(park_id).window_months
    return add_months(today, -months) + timedelta(days=1), today


def _check_window(start: date, end: date, today: date) -> None:
    if start > end:
        raise DomainError(_("The start of the window is after its end."), field="start")
    if end > today:
        raise DomainError(_("The window cannot end after today."), field="end")
    if start < add_months(end, -36):
        raise DomainError(_("The window can be at most three years long."), field="start")


def open_evaluation(
    user: User, enterprise_id: int, start: date | None = None, end: date | None = None
) -> Evaluation:
    """A draft evaluation of the enterprise for the window (default: the park's window
    months, ending today in Beijing), its online part computed and its checklist copied.

    :raises NotFound: no such enterprise.
    :raises Forbidden: the user is not an administrator of the enterprise's park.
    :raises DomainError: a bad window, or no checklist item for the enterprise's roles.
    :raises Conflict: the enterprise already has an evaluation in draft, submitted or returned.
    """
    enterprise = enterprise_in_park(user, enterprise_id)
    today = clock.today()
    default = default_window(enterprise.park_id, today)
    window = (start or default[0], end or default[1])
    _check_window(*window, today)
    if _open_one(enterprise.id) is not None:
        raise Conflict(_("This enterprise already has an evaluation in progress."))
    roles = online.roles_of(enterprise)
    items = [r for r in credit_settings.checklist_rows(enterprise.park_id) if r.role in roles]
    if not items:
        raise DomainError(_("The park's checklist has no item for this enterprise's roles."))
    evaluation = Evaluation(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        status=S.DRAFT,
        roles=",".join(sorted(r.value for r in roles)),
        window_start=window[0],
        window_end=window[1],
        settings=credit_settings.snapshot(enterprise.park_id),
        opened_by_id=user.id,
    )
    db.session.add(evaluation)
    for position, item in enumerate(items):
        evaluation.marks.append(Mark(item_key=item.key, role=item.role, label_zh=item.label_zh,
                                     label_en=item.label_en, max_points=item.max_points,
                                     position=position))  # fmt: skip
    _insert_once(evaluation)
    _compute_online(evaluation)
    EVALUATIONS.log(evaluation, E.OPEN, None, S.DRAFT, user)
    db.session.flush()
    return evaluation


def _insert_once(evaluation: Evaluation) -> None:
    """Another administrator opening one for the same enterprise at the same moment loses
    on the one-open-per-enterprise index: a Conflict, not an error page."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_("This enterprise already has an evaluation in progress.")) from None


def _open_one(enterprise_id: int) -> Evaluation | None:
    return db.session.execute(
        db.select(Evaluation).where(
            Evaluation.enterprise_id == enterprise_id,
            Evaluation.status.in_([S.DRAFT, S.SUBMITTED, S.RETURNED]),
        )
    ).scalar_one_or_none()


def scoring_settings(evaluation: Evaluation) -> scoring.Settings:
    """The settings the evaluation was opened with and its own copy of the checklist."""
    items = tuple(
        scoring.Item(m.item_key, scoring.GradedRole(m.role), m.max_points) for m in evaluation.marks
    )
    return credit_settings.to_scoring(json.loads(evaluation.settings), items)


def _compute_online(evaluation: Evaluation) -> None:
    window = (evaluation.window_start, evaluation.window_end)
    evidence, notes = online.gather(evaluation.enterprise, window)
    settings = scoring_settings(evaluation)
    parts = [scoring.completeness(evidence.owed, settings),
             scoring.truthfulness(evidence, settings)]  # fmt: skip
    evaluation.online = json.dumps({
        "parts": [scoring.part_to_dict(p) for p in parts],
        "nothing_due": scoring.nothing_due(evidence.owed),
        "figures": online.figures(evidence),
        "notes": notes,
        "computed_on": clock.today().isoformat(),
    }, ensure_ascii=False)  # fmt: skip


def _editable(user: User, evaluation_id: int) -> Evaluation:
    evaluation = lock_evaluation(evaluation_id)
    require_admin_of(user, evaluation.park_id)
    return evaluation


def refresh_online(user: User, evaluation_id: int) -> Evaluation:
    """Recompute the online part from the filings and manifests as they stand now.

    :raises NotFound, Forbidden: as open_evaluation. :raises Conflict: not draft/returned.
    """
    evaluation = _editable(user, evaluation_id)
    EVALUATIONS.move(evaluation, E.REFRESH, user)
    _compute_online(evaluation)
    db.session.flush()
    return evaluation


def parse_points(value, most: int) -> int:
    """A mark in tenths of a point: a number from 0 to the item's maximum, at most one
    decimal. :raises DomainError: otherwise."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a number."), field="points") from None
    if not number.is_finite() or number != number.quantize(Decimal("0.1")).normalize():
        raise DomainError(_("Enter a number with at most one decimal."), field="points")
    if not 0 <= number <= most:
        raise DomainError(
            _("Enter a number from %(low)s to %(high)s.", low=0, high=most), field="points"
        )
    return int(number * 10)


def _mark(evaluation: Evaluation, item_key: str) -> Mark:
    for mark in evaluation.marks:
        if mark.item_key == item_key:
            return mark
    raise NotFound(_("No such checklist item in this evaluation."))


def _note(text, field: str = "note", required: bool = False) -> str:
    text = (text or "").strip()
    if required and not text:
        raise DomainError(_("This field is required."), field=field)
    if len(text) > MAX_NOTE:
        raise DomainError(_("At most %(n)s characters.", n=MAX_NOTE), field=field)
    return text


def set_mark(user: User, evaluation_id: int, item_key: str, points, note: str = "") -> Mark:
    """Score one checklist item (None clears the score) with a note.

    :raises NotFound: no such evaluation or item. :raises Forbidden: not this park's
    administrator. :raises Conflict: not draft/returned. :raises DomainError: bad points.
    """
    evaluation = _editable(user, evaluation_id)
    mark = _mark(evaluation, item_key)
    tenths = None if points in (None, "") else parse_points(points, mark.max_points)
    note = _note(note)
    EVALUATIONS.move(evaluation, E.MARK, user, note=item_key)
    mark.points_tenths, mark.note = tenths, note
    mark.marked_by_id, mark.marked_at = user.id, utcnow()
    db.session.flush()
    return mark


def attach_evidence(user: User, evaluation_id: int, item_key: str, upload: Upload) -> EvidenceFile:
    """Store a photo or PDF behind one checklist item.

    :raises DomainError: empty, too large, or not PNG/JPEG/PDF by content (nothing is
    written then). Other errors as set_mark.
    """
    evaluation = _editable(user, evaluation_id)
    mark = _mark(evaluation, item_key)
    EVALUATIONS.target(evaluation, E.ATTACH)  # refuse before writing any file
    stored = store(upload)
    EVALUATIONS.move(evaluation, E.ATTACH, user, note=f"{item_key}: {stored.original_name}")
    row = EvidenceFile(evaluation_id=evaluation.id, mark_id=mark.id, uploaded_by_id=user.id,
                       **stored.__dict__)  # fmt: skip
    db.session.add(row)
    db.session.flush()
    return row


def remove_evidence(user: User, evidence_id: int) -> None:
    """Take an item's evidence row off a draft or returned evaluation (the file stays:
    another row may share it, and it is named by content)."""
    row = db.session.get(EvidenceFile, evidence_id)
    if row is None or row.mark_id is None:
        raise NotFound(_("No such file."))
    evaluation = _editable(user, row.evaluation_id)
    EVALUATIONS.move(evaluation, E.ATTACH, user, note=f"removed: {row.original_name}")
    db.session.delete(row)
    db.session.flush()


def offline_marks(evaluation: Evaluation) -> dict[str, Fraction]:
    missing = [m for m in evaluation.marks if m.points_tenths is None]
    if missing:
        raise DomainError(
            _("Score every item first; not yet scored: %(item)s.", item=missing[0].label_zh)
        )
    return {m.item_key: Fraction(m.points_tenths, 10) for m in evaluation.marks}


def compute(evaluation: Evaluation) -> scoring.Breakdown:
    """The whole breakdown: the stored online part, the marks, and the confirmed
    violations as they stand now (one confirmed since submission still forces D)."""
    settings = scoring_settings(evaluation)
    stored = json.loads(evaluation.online)
    parts = [scoring.part_from_dict(p) for p in stored["parts"]]
    roles = [scoring.GradedRole(r) for r in evaluation.role_list]
    parts.append(scoring.offline(roles, offline_marks(evaluation), settings))
    window = (evaluation.window_start, evaluation.window_end)
    violations = online.violations_in(evaluation.enterprise_id, window)
    return scoring.combine(parts, violations, stored["nothing_due"], settings)


def _record(evaluation: Evaluation, breakdown: scoring.Breakdown) -> dict:
    evaluation.breakdown = json.dumps(breakdown.as_dict(), ensure_ascii=False)
    return {
        "total_tenths": breakdown.total_tenths,
        "grade": breakdown.grade.value,
        "forced": bool(breakdown.forced_by),
    }


def submit_evaluation(user: User, evaluation_id: int) -> Evaluation:
    """Score it and hand it to a second administrator.

    :raises DomainError: an item not scored. Other errors as set_mark.
    """
    evaluation = _editable(user, evaluation_id)
    EVALUATIONS.target(evaluation, E.SUBMIT)
    values = _record(evaluation, compute(evaluation))
    EVALUATIONS.move(evaluation, E.SUBMIT, user, values={
        **values, "submitted_by_id": user.id, "submitted_at": utcnow()})  # fmt: skip
    db.session.flush()
    return evaluation


def _reviewer(user: User, evaluation_id: int) -> Evaluation:
    evaluation = lock_evaluation(evaluation_id)
    require_admin_of(user, evaluation.park_id)
    if evaluation.status == S.SUBMITTED and user.id == evaluation.submitted_by_id:
        raise Forbidden(_("You submitted this evaluation; a second administrator reviews it."))
    return evaluation


def return_evaluation(user: User, evaluation_id: int, reason: str) -> Evaluation:
    """Send it back to be edited and submitted again.

    :raises Forbidden: not this park's administrator, or the one who submitted it.
    :raises DomainError: no reason. :raises Conflict: not submitted (or lost a race).
    """
    evaluation = _reviewer(user, evaluation_id)
    reason = _note(reason, "reason", required=True)
    EVALUATIONS.move(evaluation, E.RETURN, user, note=reason)
    db.session.flush()
    return evaluation


def approve_evaluation(user: User, evaluation_id: int, note: str = "") -> Evaluation:
    """Four eyes: a second administrator of the park approves, which publishes the grade,
    valid for the park's validity years, and supersedes the grade in force before it.

    :raises Forbidden: not this park's administrator, or the one who submitted it.
    :raises Conflict: not submitted, or another administrator decided it first.
    """
    evaluation = _reviewer(user, evaluation_id)
    note = _note(note)
    EVALUATIONS.target(evaluation, E.APPROVE)
    values = _record(evaluation, compute(evaluation))
    EVALUATIONS.move(
        evaluation,
        E.APPROVE,
        user,
        note=note,
        values={**values, "approved_by_id": user.id, "approved_at": utcnow()},
    )
    publish(evaluation, user)  # fmt: skip
    return evaluation


def publish(evaluation: Evaluation, user: User | None) -> None:
    today = clock.today()
    stored = json.loads(evaluation.settings)
    previous = _in_force(evaluation.enterprise_id)
    if previous is not None:
        EVALUATIONS.move(previous, E.SUPERSEDE, user, note=f"#{evaluation.id}",
                         values={"ended_on": today, "superseded_by_id": evaluation.id})  # fmt: skip
    EVALUATIONS.move(evaluation, E.PUBLISH, user, values={
        "published_on": today,
        "valid_until": add_months(today, 12 * stored["validity_years"]) - timedelta(days=1),
        "appeal_until": today + timedelta(days=stored["appeal_days"]),
    })  # fmt: skip
    db.session.flush()
    steering.grade_changed(evaluation)
    notify(evaluation.enterprise_id, "credit_published", link=f"/credit/{evaluation.id}",
           grade=evaluation.grade, until=evaluation.valid_until.isoformat())  # fmt: skip


def _in_force(enterprise_id: int) -> Evaluation | None:
    return db.session.execute(
        db.select(Evaluation)
        .where(Evaluation.enterprise_id == enterprise_id, Evaluation.status.in_(
            [S.PUBLISHED, S.APPEALED, S.UPHELD, S.CHANGED]))
        .with_for_update()
    ).scalar_one_or_none()  # fmt: skip


def cancel_evaluation(user: User, evaluation_id: int, reason: str) -> Evaluation:
    """Withdraw an evaluation not yet published.

    :raises DomainError: no reason. Other errors as set_mark.
    """
    evaluation = lock_evaluation(evaluation_id)
    require_admin_of(user, evaluation.park_id)
    reason = _note(reason, "reason", required=True)
    EVALUATIONS.move(evaluation, E.CANCEL, user, note=reason,
                     values={"ended_on": clock.today()})  # fmt: skip
    db.session.flush()
    return evaluation
