"""Credit evaluations made through the services, for the credit tests."""

from market.accounts.models import Enterprise, User
from market.credit import services
from market.credit.models import Evaluation
from market.extensions import db
from tests import factories


def admins(park_slug: str = "north", n: int = 2) -> list[User]:
    """n more administrators of the park (the world's admin is the first grader)."""
    rows = [factories.user(admin_of=factories.park(park_slug)) for _ in range(n)]
    db.session.commit()
    return rows


def mark_all(admin: User, evaluation: Evaluation, share=1, note: str = "核查") -> None:
    """Every item at `share` of its maximum (a whole number of tenths)."""
    for mark in evaluation.marks:
        points = round(mark.max_points * share * 10) / 10
        services.set_mark(admin, evaluation.id, mark.item_key, str(points), note)


def submitted(grader: User, enterprise: Enterprise, share=1) -> Evaluation:
    evaluation = services.open_evaluation(grader, enterprise.id)
    mark_all(grader, evaluation, share)
    services.submit_evaluation(grader, evaluation.id)
    db.session.commit()
    return evaluation


def published(grader: User, approver: User, enterprise: Enterprise, share=1) -> Evaluation:
    evaluation = submitted(grader, enterprise, share)
    services.approve_evaluation(approver, evaluation.id)
    db.session.commit()
    return evaluation


def events(evaluation: Evaluation) -> list[tuple]:
    db.session.refresh(evaluation)
    return [(e.event, e.from_status, e.to_status) for e in evaluation.events]
