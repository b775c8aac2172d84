"""Scheduled credit work (`flask credit expire`): grades past their validity expire, and
the enterprise and its park's administrators are told once, the park's reminder days
before the end. Until the command runs, a grade past its validity already reads as
expired (Evaluation.is_in_force_on), so nothing depends on when the scheduler runs."""

from datetime import date, timedelta

from market import clock
from market.credit import steering
from market.credit.common import EVALUATIONS
from market.credit.models import CreditSettings, Evaluation
from market.credit.states import IN_FORCE
from market.credit.states import EvaluationEvent as E
from market.db import utcnow
from market.extensions import db
from market.inbox.services import notify, notify_park


def _ids(*conditions) -> list[int]:
    return list(
        db.session.execute(
            db.select(Evaluation.id)
            .where(Evaluation.status.in_(list(IN_FORCE)), *conditions)
            .order_by(Evaluation.id)
        ).scalars()
    )


def _locked(evaluation_id: int) -> Evaluation | None:
    """The row locked, or None if it left IN_FORCE meanwhile (another run took it)."""
    row = db.session.execute(
        db.select(Evaluation)
        .where(Evaluation.id == evaluation_id, Evaluation.status.in_(list(IN_FORCE)))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    return row


def expire_grades(today: date | None = None) -> list[int]:
    """Expire every grade in force whose last valid day is before `today`; returns ids."""
    today = today or clock.today()
    done = []
    for evaluation_id in _ids(Evaluation.valid_until < today):
        evaluation = _locked(evaluation_id)
        if evaluation is None:
            continue
        EVALUATIONS.move(evaluation, E.EXPIRE, None, values={"ended_on": today})
        notify(evaluation.enterprise_id, "credit_expired", link=f"/credit/{evaluation.id}",
               grade=evaluation.grade)  # fmt: skip
        done.append(evaluation.id)
    if done:
        db.session.flush()
        steering.bump_version()
        steering.matching.mark_dirty()
    return done


def _reminder_days() -> dict[int, int]:
    rows = db.session.execute(db.select(CreditSettings.park_id, CreditSettings.reminder_days))
    return dict(rows.all())


def send_reminders(today: date | None = None) -> list[int]:
    """Tell the enterprise and its park's administrators, once per grade, that it ends
    within the park's reminder days (default 60); returns the evaluation ids."""
    today = today or clock.today()
    days = _reminder_days()
    latest = today + timedelta(days=max([60, *days.values()]))
    done = []
    for evaluation_id in _ids(Evaluation.reminded_at.is_(None),
                              Evaluation.valid_until.between(today, latest)):  # fmt: skip
        evaluation = _locked(evaluation_id)
        if evaluation is None or evaluation.reminded_at is not None:
            continue
        if evaluation.valid_until > today + timedelta(days=days.get(evaluation.park_id, 60)):
            continue
        EVALUATIONS.move(evaluation, E.REMIND, None, values={"reminded_at": utcnow()})
        params = {"enterprise": evaluation.enterprise.name, "grade": evaluation.grade,
                  "until": evaluation.valid_until.isoformat()}  # fmt: skip
        link = f"/credit/{evaluation.id}"
        notify(evaluation.enterprise_id, "credit_expiring", link=link, **params)
        notify_park(evaluation.park_id, "credit_expiring", link=link, **params)
        done.append(evaluation.id)
    db.session.flush()
    return done
