"""Appeals (once, within 15 days, decided by an administrator who did not grade) and
serious violations (confirmed by a second administrator; they force D)."""

from datetime import timedelta

import pytest
from flask_babel import force_locale

from market import clock
from market.credit import files, queries, services
from market.credit.models import Appeal, EvidenceFile
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.inbox.models import Message
from tests import credit_flow as cf
from tests import ledger_factories as lf

PDF = files.Upload("申诉材料.pdf", b"%PDF-1.7\n" + b"1" * 100)


@pytest.fixture(autouse=True)
def english(ctx, app, tmp_path):
    app.config["CREDIT_EVIDENCE_DIR"] = str(tmp_path)
    with force_locale("en"):
        yield
    app.config["CREDIT_EVIDENCE_DIR"] = ""


@pytest.fixture()
def graded(world):
    """A published B of the world's generator: graded by admin, approved by second;
    third has not touched it."""
    world.second, world.third = cf.admins()
    world.evaluation = cf.published(world.admin, world.second, world.generator.enterprise, 0.6)
    return world


def on(monkeypatch, day):
    monkeypatch.setattr(clock, "now", lambda: lf.at(day))


def test_the_enterprise_appeals_once_with_reason_and_files(graded):
    evaluation = graded.evaluation
    appeal = services.file_appeal(graded.generator, evaluation.id, " 数据有误 ", [PDF])
    db.session.commit()
    assert (evaluation.status, appeal.reason, appeal.old_grade) == ("appealed", "数据有误", "B")
    (attached,) = appeal.evidence
    assert (attached.mime, attached.original_name) == ("application/pdf", "申诉材料.pdf")
    to_admins = db.session.execute(db.select(Message).filter_by(park_id=evaluation.park_id))
    assert [m.kind for m in to_admins.scalars()] == ["credit_appealed"]
    assert evaluation.enterprise.credit_grade == "B"  # in force while under appeal
    with pytest.raises(Conflict) as second:
        services.file_appeal(graded.generator, evaluation.id, "再次申诉")
    assert "once" in second.value.message


def test_an_appeal_after_the_fifteenth_day_is_refused(graded, monkeypatch):
    evaluation = graded.evaluation
    on(monkeypatch, evaluation.published_on + timedelta(days=16))
    with pytest.raises(Conflict) as late:
        services.file_appeal(graded.generator, evaluation.id, "迟到")
    assert evaluation.appeal_until.isoformat() in late.value.message
    assert evaluation.status == "published"


def test_the_last_day_of_the_appeal_period_still_counts(graded, monkeypatch):
    evaluation = graded.evaluation
    on(monkeypatch, evaluation.published_on + timedelta(days=15))
    services.file_appeal(graded.generator, evaluation.id, "最后一天")
    assert evaluation.status == "appealed"


def test_only_the_graded_enterprise_appeals(graded):
    for outsider in (graded.other, graded.recycler, graded.admin):
        with pytest.raises(NotFound):
            services.file_appeal(outsider, graded.evaluation.id, "不是我们的")


def test_a_bad_appeal_writes_nothing(graded):
    with pytest.raises(DomainError):
        services.file_appeal(graded.generator, graded.evaluation.id, "  ")
    with pytest.raises(DomainError) as refused:
        services.file_appeal(
            graded.generator, graded.evaluation.id, "理由", [PDF, files.Upload("x.exe", b"MZ")]
        )
    assert refused.value.field == "file"
    assert graded.evaluation.status == "published"
    assert db.session.scalar(db.select(db.func.count(Appeal.id))) == 0
    assert db.session.scalar(db.select(db.func.count(EvidenceFile.id))) == 0


def test_no_one_who_graded_it_decides_the_appeal(graded):
    services.file_appeal(graded.generator, graded.evaluation.id, "理由")
    for grader in (graded.admin, graded.second):
        with pytest.raises(Forbidden) as refused:
            services.decide_appeal(grader, graded.evaluation.id, "upheld", "维持")
        assert "did not grade" in refused.value.message
    with pytest.raises(Forbidden):
        services.decide_appeal(graded.admin_elsewhere, graded.evaluation.id, "upheld", "维持")
    assert queries.appeals_to_decide(graded.third) == [graded.evaluation]
    assert queries.appeals_to_decide(graded.admin) == []


def test_an_upheld_appeal_keeps_the_grade_and_records_the_outcome(graded):
    evaluation = graded.evaluation
    services.file_appeal(graded.generator, evaluation.id, "理由")
    appeal = services.decide_appeal(graded.third, evaluation.id, "upheld", "证据充分")
    assert (evaluation.status, evaluation.grade) == ("upheld", "B")
    assert (appeal.outcome, appeal.new_grade, appeal.decided_by_id) == (
        "upheld",
        None,
        graded.third.id,
    )
    with pytest.raises(Conflict):
        services.decide_appeal(graded.third, evaluation.id, "changed", "再议", "A")


def test_a_changed_grade_is_in_force_at_once(graded):
    evaluation = graded.evaluation
    services.file_appeal(graded.generator, evaluation.id, "理由")
    with pytest.raises(DomainError):
        services.decide_appeal(graded.third, evaluation.id, "changed", "改", "B")  # same grade
    with pytest.raises(DomainError):
        services.decide_appeal(graded.third, evaluation.id, "maybe", "改")
    with pytest.raises(DomainError):
        services.decide_appeal(graded.third, evaluation.id, "upheld", "")
    appeal = services.decide_appeal(graded.third, evaluation.id, "changed", "核实后调整", "A")
    db.session.commit()
    assert (evaluation.status, evaluation.grade, appeal.new_grade) == ("changed", "A", "A")
    assert evaluation.enterprise.credit_grade == "A"
    assert ("change", "appealed", "changed") in cf.events(evaluation)


def test_a_violation_needs_a_second_administrator_and_forces_d_at_once(graded):
    ent = graded.generator.enterprise
    yesterday = clock.today() - timedelta(days=1)
    violation = services.report_violation(graded.admin, ent.id, yesterday, "非法倾倒")
    assert violation.status == "reported" and ent.credit_grade == "B"
    with pytest.raises(Forbidden):
        services.confirm_violation(graded.admin, violation.id)
    services.confirm_violation(graded.second, violation.id)
    db.session.commit()
    evaluation = graded.evaluation
    assert (violation.status, evaluation.grade, evaluation.forced) == ("confirmed", "D", True)
    assert evaluation.status == "published" and ent.credit_grade == "D"
    assert ("force_d", "published", "published") in cf.events(evaluation)
    with pytest.raises(Conflict):
        services.confirm_violation(graded.third, violation.id)


def test_a_forced_d_cannot_be_raised_on_appeal(graded):
    violation = services.report_violation(
        graded.admin, graded.generator.enterprise_id, clock.today(), "超标排放"
    )
    services.confirm_violation(graded.second, violation.id)
    services.file_appeal(graded.generator, graded.evaluation.id, "理由")
    with pytest.raises(DomainError) as refused:
        services.decide_appeal(graded.third, graded.evaluation.id, "changed", "改", "B")
    assert "forces D" in refused.value.message


def test_a_confirmed_violation_forces_d_on_later_evaluations_whatever_the_marks(graded):
    ent = graded.generator.enterprise
    violation = services.report_violation(graded.admin, ent.id, clock.today(), "非法转移")
    services.confirm_violation(graded.second, violation.id)
    evaluation = cf.submitted(graded.admin, ent, share=1)
    assert (evaluation.total_tenths, evaluation.grade, evaluation.forced) == (1000, "D", True)
    forced_by = queries.breakdown(evaluation)["forced_by"]
    assert forced_by == [{"table": "violation", "id": violation.id}]


def test_a_violation_confirmed_while_under_review_forces_d_at_approval(graded):
    ent = graded.other.enterprise
    evaluation = cf.submitted(graded.admin, ent, share=1)
    assert evaluation.grade == "A"
    violation = services.report_violation(graded.second, ent.id, clock.today(), "瞒报")
    services.confirm_violation(graded.third, violation.id)
    services.approve_evaluation(graded.second, evaluation.id)
    assert (evaluation.status, evaluation.grade) == ("published", "D")


def test_a_dismissed_violation_changes_nothing(graded):
    ent = graded.generator.enterprise
    violation = services.report_violation(graded.admin, ent.id, clock.today(), "举报")
    with pytest.raises(DomainError):
        services.dismiss_violation(graded.second, violation.id, "")
    services.dismiss_violation(graded.second, violation.id, "查无实据")
    assert (violation.status, ent.credit_grade) == ("dismissed", "B")


def test_violations_are_checked_on_entry(graded):
    ent_id = graded.generator.enterprise_id
    with pytest.raises(DomainError):
        services.report_violation(graded.admin, ent_id, clock.today() + timedelta(days=1), "x")
    with pytest.raises(DomainError):
        services.report_violation(graded.admin, ent_id, clock.today(), " ")
    with pytest.raises(Forbidden):
        services.report_violation(graded.admin_elsewhere, ent_id, clock.today(), "x")
