"""Reads for credit pages and the API: the grade in force, the public register, the
evaluations each user may see, evidence files, and the grade version matching watches."""

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from market import clock
from market.accounts.models import Enterprise, User
from market.credit import files, scoring
from market.credit.models import Appeal, Evaluation, EvidenceFile, GradeVersion, Violation
from market.credit.states import IN_FORCE, VISIBLE_TO_ENTERPRISE
from market.credit.states import EvaluationStatus as S
from market.errors import NotFound
from market.extensions import db


def grade_version() -> int:
    """Goes up with every change of a grade in force (the matching service watches it)."""
    return db.session.scalar(db.select(GradeVersion.version).where(GradeVersion.id == 1)) or 0


def in_force(enterprise_id: int, day: date | None = None) -> Evaluation | None:
    """The published evaluation in force on `day` (today): None once past its validity,
    even before `flask credit expire` has moved it."""
    row = db.session.execute(
        db.select(Evaluation).where(
            Evaluation.enterprise_id == enterprise_id, Evaluation.status.in_(list(IN_FORCE))
        )
    ).scalar_one_or_none()
    return row if row is not None and row.is_in_force_on(day or clock.today()) else None


def published_grade(enterprise: Enterprise, day: date | None = None) -> str | None:
    return enterprise.grade_on(day or clock.today())


@dataclass(frozen=True)
class RegisterRow:
    """What the public register shows: no scores, no evidence."""

    enterprise_id: int
    name: str
    uscc: str
    roles: tuple[str, ...]
    grade: str
    colour: str
    published_on: date
    valid_until: date


def register_rows(
    park_id: int,
    day: date | None = None,
    role: str | None = None,
    grade: str | None = None,
    search: str = "",
) -> list[RegisterRow]:
    """The park's grades in force on `day`, by name; filters: role (generator / recycler
    / transporter), grade (A–D), search (part of the name or USCC)."""
    day = day or clock.today()
    query = (
        db.select(Evaluation)
        .join(Enterprise, Enterprise.id == Evaluation.enterprise_id)
        .where(
            Evaluation.park_id == park_id,
            Evaluation.status.in_(list(IN_FORCE)),
            Evaluation.valid_until >= day,
        )
        .options(selectinload(Evaluation.enterprise))
        .order_by(Enterprise.name, Enterprise.id)
    )
    if grade:
        query = query.where(Evaluation.grade == grade)
    if role in ("generator", "recycler", "transporter"):
        query = query.where(getattr(Enterprise, f"is_{role}").is_(True))
    if search and search.strip():
        like = f"%{search.strip()}%"
        query = query.where(db.or_(Enterprise.name.ilike(like), Enterprise.uscc.ilike(like)))
    return [_register_row(e) for e in db.session.execute(query).scalars()]


def _register_row(evaluation: Evaluation) -> RegisterRow:
    enterprise = evaluation.enterprise
    return RegisterRow(
        enterprise.id, enterprise.name, enterprise.uscc,
        tuple(r.value for r in enterprise.roles), evaluation.grade,
        scoring.COLOURS[scoring.Grade(evaluation.grade)], evaluation.published_on,
        evaluation.valid_until,
    )  # fmt: skip


def may_see(user: User | None, evaluation: Evaluation) -> bool:
    """Park administrators see all of their park's; an enterprise its own, once published."""
    if user is None or not getattr(user, "is_authenticated", True):
        return False
    if user.is_park_admin:
        return user.admin_park_id == evaluation.park_id
    return (
        user.enterprise_id == evaluation.enterprise_id
        and evaluation.status in VISIBLE_TO_ENTERPRISE
    )


def evaluation_for(user: User | None, evaluation_id: int) -> Evaluation:
    """:raises NotFound: no such evaluation, or not one the user may see."""
    evaluation = db.session.get(Evaluation, evaluation_id)
    if evaluation is None or not may_see(user, evaluation):
        raise NotFound(_("No such evaluation."))
    return evaluation


def evaluations_visible_to(user: User, status: str | None = None) -> list[Evaluation]:
    """Newest first: an administrator's park, or the user's own enterprise's published."""
    query = db.select(Evaluation).order_by(Evaluation.id.desc())
    if user.is_park_admin:
        query = query.where(Evaluation.park_id == user.admin_park_id)
    else:
        query = query.where(Evaluation.enterprise_id == user.enterprise_id,
                            Evaluation.status.in_(list(VISIBLE_TO_ENTERPRISE)))  # fmt: skip
    if status:
        query = query.where(Evaluation.status == status)
    return list(db.session.execute(query.options(selectinload(Evaluation.enterprise))).scalars())


def history(enterprise_id: int) -> list[Evaluation]:
    """Every published evaluation of the enterprise, newest first (the grade history)."""
    return list(
        db.session.execute(
            db.select(Evaluation)
            .where(Evaluation.enterprise_id == enterprise_id,
                   Evaluation.status.in_(list(VISIBLE_TO_ENTERPRISE)))
            .order_by(Evaluation.published_on.desc(), Evaluation.id.desc())
        ).scalars()
    )  # fmt: skip


def awaiting_approval(user: User) -> list[Evaluation]:
    """Submitted evaluations of the administrator's park that someone else submitted."""
    if not user.is_park_admin:
        return []
    return list(
        db.session.execute(
            db.select(Evaluation)
            .where(Evaluation.park_id == user.admin_park_id, Evaluation.status == S.SUBMITTED,
                   Evaluation.submitted_by_id != user.id)
            .order_by(Evaluation.submitted_at)
        ).scalars()
    )  # fmt: skip


def appeals_to_decide(user: User) -> list[Evaluation]:
    """Evaluations of the park under appeal that this administrator did not grade."""
    if not user.is_park_admin:
        return []
    rows = db.session.execute(
        db.select(Evaluation)
        .where(Evaluation.park_id == user.admin_park_id, Evaluation.status == S.APPEALED)
        .order_by(Evaluation.id)
    ).scalars()
    return [e for e in rows if user.id not in
            {e.opened_by_id, e.submitted_by_id, e.approved_by_id}]  # fmt: skip


def violations_of_park(park_id: int) -> list[Violation]:
    return list(
        db.session.execute(
            db.select(Violation).where(Violation.park_id == park_id).order_by(Violation.id.desc())
        ).scalars()
    )


def evidence_for(user: User | None, evidence_id: int) -> tuple[EvidenceFile, Path]:
    """An evidence file and its path, for the enterprise graded (once published) and the
    park's administrators only. :raises NotFound: otherwise, or the file is gone."""
    row = db.session.get(EvidenceFile, evidence_id)
    if row is None or not may_see(user, row.evaluation):
        raise NotFound(_("No such file."))
    path = files.path_of(row.stored_path)
    if not path.is_file():
        raise NotFound(_("No such file."))
    return row, path


def online_part(evaluation: Evaluation) -> dict:
    """The stored online part: {"parts": [completeness, truthfulness] as
    scoring.part_to_dict, "nothing_due", "figures" (owed filings by state with filing
    ids, manifests with ids, corrected filing ids, violation ids), "notes", "computed_on"}."""
    return json.loads(evaluation.online or "{}")


def breakdown(evaluation: Evaluation) -> dict:
    """scoring.Breakdown.as_dict() as recorded at submission / approval ({} before)."""
    return json.loads(evaluation.breakdown or "{}")


def appeal_of(evaluation: Evaluation) -> Appeal | None:
    return evaluation.appeal
