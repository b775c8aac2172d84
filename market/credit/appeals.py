"""An enterprise's one appeal against its published grade and the decision on it, and
serious violations (reported, then confirmed by a second administrator), which force D."""

from datetime import date

from flask_babel import gettext as _

from market import clock
from market.accounts.models import User
from market.credit import steering
from market.credit.common import (
    EVALUATIONS,
    VIOLATIONS,
    enterprise_in_park,
    lock_evaluation,
    lock_violation,
    require_admin_of,
)
from market.credit.files import Upload, check, store
from market.credit.models import Appeal, Evaluation, EvidenceFile, Violation
from market.credit.states import IN_FORCE, can_appeal
from market.credit.states import EvaluationEvent as E
from market.credit.states import EvaluationStatus as S
from market.credit.states import ViolationEvent as VE
from market.credit.states import ViolationStatus as V
from market.db import utcnow
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.inbox.services import notify, notify_park

MAX_TEXT = 2000
MAX_FILES = 5
GRADES = ("A", "B", "C", "D")


def _text(value, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(_("This field is required."), field=field)
    if len(text) > MAX_TEXT:
        raise DomainError(_("At most %(n)s characters.", n=MAX_TEXT), field=field)
    return text


def file_appeal(user: User, evaluation_id: int, reason: str, uploads: list[Upload] = ()) -> Appeal:
    """The enterprise appeals its published grade, once, within the park's appeal days.

    :raises NotFound: no such evaluation, or not the user's enterprise's published one.
    :raises Conflict: already appealed, no longer in force, or the appeal days are over.
    :raises DomainError: no reason, too many files, or a file refused (nothing is written).
    """
    evaluation = lock_evaluation(evaluation_id)
    if (
        user is None
        or user.enterprise_id != evaluation.enterprise_id
        or (evaluation.status not in IN_FORCE)
    ):
        raise NotFound(_("No such evaluation."))
    if not can_appeal(evaluation.status):
        raise Conflict(_("This grade has already been appealed; an appeal is allowed once."))
    if clock.today() > evaluation.appeal_until:
        raise Conflict(
            _("Appeals were possible until %(day)s.", day=evaluation.appeal_until.isoformat())
        )
    reason = _text(reason, "reason")
    if len(uploads) > MAX_FILES:
        raise DomainError(_("At most %(n)s files.", n=MAX_FILES), field="file")
    for upload in uploads:
        check(upload)  # every file before any is written
    EVALUATIONS.move(evaluation, E.APPEAL, user, note=reason)
    appeal = Appeal(evaluation_id=evaluation.id, enterprise_id=evaluation.enterprise_id,
                    filed_by_id=user.id, filed_on=clock.today(), reason=reason,
                    old_grade=evaluation.grade)  # fmt: skip
    db.session.add(appeal)
    db.session.flush()
    for upload in uploads:
        stored = store(upload)
        db.session.add(EvidenceFile(evaluation_id=evaluation.id, appeal_id=appeal.id,
                                    uploaded_by_id=user.id, **stored.__dict__))  # fmt: skip
    notify_park(evaluation.park_id, "credit_appealed", link=f"/credit/{evaluation.id}",
                enterprise=evaluation.enterprise.name, grade=evaluation.grade)  # fmt: skip
    db.session.flush()
    return appeal


def graders(evaluation: Evaluation) -> set[int]:
    """Who graded it: opened, submitted or approved it."""
    ids = (evaluation.opened_by_id, evaluation.submitted_by_id, evaluation.approved_by_id)
    return {i for i in ids if i is not None}


def decide_appeal(
    user: User, evaluation_id: int, outcome: str, note: str, new_grade: str | None = None
) -> Appeal:
    """An administrator of the park who did not grade it upholds the grade or changes it.

    :raises Forbidden: not this park's administrator, or one who graded it.
    :raises Conflict: not under appeal (or decided first by another administrator).
    :raises DomainError: a bad outcome or grade, no note, or a grade other than D while a
        confirmed serious violation forces D.
    """
    evaluation = lock_evaluation(evaluation_id)
    require_admin_of(user, evaluation.park_id)
    if user.id in graders(evaluation):
        raise Forbidden(_("An administrator who did not grade it decides the appeal."))
    if evaluation.status != S.APPEALED:
        raise Conflict(_("This evaluation is not under appeal."))
    note = _text(note, "note")
    if outcome == "upheld":
        EVALUATIONS.move(evaluation, E.UPHOLD, user, note=note)
    elif outcome == "changed":
        _change(evaluation, user, note, new_grade)
    else:
        raise DomainError(_("Choose an outcome."), field="outcome")
    appeal = evaluation.appeal
    appeal.outcome, appeal.decision_note = outcome, note
    appeal.new_grade = evaluation.grade if outcome == "changed" else None
    appeal.decided_by_id, appeal.decided_at = user.id, utcnow()
    notify(evaluation.enterprise_id, f"credit_appeal_{outcome}", link=f"/credit/{evaluation.id}",
           grade=evaluation.grade)  # fmt: skip
    db.session.flush()
    return appeal


def _change(evaluation: Evaluation, user: User, note: str, new_grade) -> None:
    if new_grade not in GRADES or new_grade == evaluation.grade:
        raise DomainError(_("Choose a grade other than the present one."), field="new_grade")
    if evaluation.forced and new_grade != "D":
        raise DomainError(
            _("A confirmed serious violation forces D; the grade cannot be raised on appeal."),
            field="new_grade",
        )
    EVALUATIONS.move(evaluation, E.CHANGE, user, note=note, values={"grade": new_grade})
    db.session.flush()
    steering.grade_changed(evaluation)


def report_violation(user: User, enterprise_id: int, occurred_on: date, description: str):
    """Record a serious violation for a second administrator to confirm or dismiss.

    :raises NotFound, Forbidden: as open_evaluation. :raises DomainError: a day in the
    future or no description.
    """
    enterprise = enterprise_in_park(user, enterprise_id)
    if not isinstance(occurred_on, date) or occurred_on > clock.today():
        raise DomainError(_("Give a day that is not in the future."), field="occurred_on")
    violation = Violation(park_id=enterprise.park_id, enterprise_id=enterprise.id,
                          status=V.REPORTED, occurred_on=occurred_on,
                          description=_text(description, "description"),
                          reported_by_id=user.id)  # fmt: skip
    db.session.add(violation)
    db.session.flush()
    VIOLATIONS.log(violation, VE.REPORT, None, V.REPORTED, user)
    db.session.flush()
    return violation


def _decider(user: User, violation_id: int) -> Violation:
    violation = lock_violation(violation_id)
    require_admin_of(user, violation.park_id)
    if user.id == violation.reported_by_id:
        raise Forbidden(_("You reported this violation; a second administrator decides it."))
    return violation


def confirm_violation(user: User, violation_id: int, note: str = "") -> Violation:
    """Confirm it: the enterprise's grade in force, if any, is forced to D at once.

    :raises Forbidden: not this park's administrator, or the one who reported it.
    :raises Conflict: already decided.
    """
    violation = _decider(user, violation_id)
    VIOLATIONS.move(violation, VE.CONFIRM, user, note=(note or "").strip()[:MAX_TEXT])
    violation.confirmed_by_id, violation.confirmed_on = user.id, clock.today()
    db.session.flush()
    force_d(violation, user)
    return violation


def force_d(violation: Violation, user: User | None) -> Evaluation | None:
    evaluation = db.session.execute(
        db.select(Evaluation)
        .where(Evaluation.enterprise_id == violation.enterprise_id,
               Evaluation.status.in_(list(IN_FORCE)))
        .with_for_update()
    ).scalar_one_or_none()  # fmt: skip
    if evaluation is None:
        return None
    EVALUATIONS.move(evaluation, E.FORCE_D, user, note=f"violation #{violation.id}",
                     values={"grade": "D", "forced": True})  # fmt: skip
    db.session.flush()
    steering.grade_changed(evaluation)
    notify(evaluation.enterprise_id, "credit_forced_d", link=f"/credit/{evaluation.id}")
    return evaluation


def dismiss_violation(user: User, violation_id: int, reason: str) -> Violation:
    """:raises Forbidden, Conflict: as confirm_violation. :raises DomainError: no reason."""
    violation = _decider(user, violation_id)
    VIOLATIONS.move(violation, VE.DISMISS, user, note=_text(reason, "reason"))
    db.session.flush()
    return violation


def violation_for(user: User, violation_id: int) -> Violation:
    violation = db.session.get(Violation, violation_id)
    if violation is None:
        raise NotFound(_("No such violation."))
    require_admin_of(user, violation.park_id)
    return violation
