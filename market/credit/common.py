"""What every credit service shares: the evaluation lifecycle, locking an evaluation, and
who may act on it."""

from flask_babel import gettext as _

from market.accounts.models import Enterprise, User
from market.credit.models import CreditEventRow, Evaluation, Violation
from market.credit.states import EVALUATION_TRANSITIONS, VIOLATION_TRANSITIONS
from market.errors import Conflict, Forbidden, NotFound
from market.extensions import db
from market.transitions import Lifecycle


def _refuse(row, event, raced: bool) -> Exception:
    if raced:
        return Conflict(_("Someone else changed this evaluation first; reload and try again."))
    return Conflict(_("This evaluation can no longer take this step."))


def _refuse_violation(row, event, raced: bool) -> Exception:
    return Conflict(_("This violation has already been decided."))


EVALUATIONS = Lifecycle(
    table=EVALUATION_TRANSITIONS,
    event_model=CreditEventRow,
    foreign_key="evaluation_id",
    refuse=_refuse,
    stamp="updated_at",
)
VIOLATIONS = Lifecycle(
    table=VIOLATION_TRANSITIONS,
    event_model=CreditEventRow,
    foreign_key="violation_id",
    refuse=_refuse_violation,
)


def lock_evaluation(evaluation_id: int) -> Evaluation:
    """The evaluation row, locked until commit on PostgreSQL (SQLite serialises writers)."""
    row = db.session.execute(
        db.select(Evaluation)
        .where(Evaluation.id == evaluation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(_("No such evaluation."))
    return row


def lock_violation(violation_id: int) -> Violation:
    row = db.session.execute(
        db.select(Violation)
        .where(Violation.id == violation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(_("No such violation."))
    return row


def require_admin_of(user: User, park_id: int) -> None:
    """Only that park's administrators grade its enterprises."""
    if user is None or not user.is_park_admin or user.admin_park_id != park_id:
        raise Forbidden(_("Only this park's administrators may do this."))


def enterprise_in_park(user: User, enterprise_id: int) -> Enterprise:
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(_("No such enterprise."))
    require_admin_of(user, enterprise.park_id)
    return enterprise
