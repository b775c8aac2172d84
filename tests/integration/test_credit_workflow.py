"""The grading workflow: open, mark, submit, four-eyes approval or return, publication,
supersession, cancellation; who may do each step, and what each refusal says."""

import json
from datetime import timedelta

import pytest
from flask_babel import force_locale

from market import clock
from market.credit import queries, services
from market.credit import settings as credit_settings
from market.credit.models import CreditEventRow, Evaluation
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.inbox.models import Message
from market.manifests.periods import add_months
from tests import credit_flow as cf
from tests import factories


@pytest.fixture(autouse=True)
def english(ctx):
    with force_locale("en"):
        yield


@pytest.fixture()
def two(world):
    """The world's admin grades; a second administrator of the same park reviews."""
    world.second, world.third = cf.admins()
    return world


def test_an_evaluation_opens_on_the_last_twelve_months_with_the_roles_checklist(two):
    ent = two.generator.enterprise
    evaluation = services.open_evaluation(two.admin, ent.id)
    today = clock.today()
    assert evaluation.status == "draft" and evaluation.window_end == today
    assert evaluation.window_start == add_months(today, -12) + timedelta(days=1)
    assert [m.item_key for m in evaluation.marks] == [
        "generator.management_system",
        "generator.reduction",
        "generator.storage_site",
        "generator.transfer_disposal",
    ]
    assert [m.label_zh for m in evaluation.marks][0] == "固体废物管理制度"
    online = queries.online_part(evaluation)
    assert [p["name"] for p in online["parts"]] == ["completeness", "truthfulness"]
    assert json.loads(evaluation.settings)["validity_years"] == 2
    assert cf.events(evaluation) == [("open", None, "draft")]


@pytest.mark.parametrize(
    "roles, prefixes",
    [
        (("generator", "recycler"), {"generator", "recycler"}),
        (("transporter",), {"transporter"}),
    ],
)
def test_each_role_brings_its_own_checklist(two, roles, prefixes):
    ent = factories.enterprise(roles)
    evaluation = services.open_evaluation(two.admin, ent.id)
    assert {m.item_key.split(".")[0] for m in evaluation.marks} == prefixes
    assert evaluation.role_list == sorted(roles)


def test_only_that_parks_administrators_open_evaluations(two):
    ent_id = two.generator.enterprise_id
    for outsider in (two.admin_elsewhere, two.generator, two.recycler):
        with pytest.raises(Forbidden):
            services.open_evaluation(outsider, ent_id)
    with pytest.raises(NotFound):
        services.open_evaluation(two.admin, 999_999)
    assert db.session.scalar(db.select(db.func.count(Evaluation.id))) == 0


@pytest.mark.parametrize(
    "start, end, field, words",
    [
        (0, 1, "end", "after today"),
        (-5, -10, "start", "after its end"),
        (-(366 * 3 + 5), 0, "start", "three years"),
    ],
)
def test_a_bad_window_is_refused(two, start, end, field, words):
    today = clock.today()
    window = (today + timedelta(days=start), today + timedelta(days=end))
    with pytest.raises(DomainError) as refused:
        services.open_evaluation(two.admin, two.generator.enterprise_id, *window)
    assert refused.value.field == field and words in refused.value.message


def test_one_evaluation_in_progress_per_enterprise(two):
    services.open_evaluation(two.admin, two.generator.enterprise_id)
    with pytest.raises(Conflict):
        services.open_evaluation(two.second, two.generator.enterprise_id)


@pytest.mark.parametrize(
    "points, words",
    [("16", "0 to 15"), ("-1", "0 to 15"), ("7.25", "one decimal"), ("x", "number")],
)
def test_a_mark_out_of_range_or_too_fine_is_refused(two, points, words):
    evaluation = services.open_evaluation(two.admin, two.generator.enterprise_id)
    with pytest.raises(DomainError) as refused:
        services.set_mark(two.admin, evaluation.id, "generator.reduction", points)
    assert refused.value.field == "points" and words in refused.value.message
    assert evaluation.marks[1].points_tenths is None


def test_marks_keep_tenths_and_notes_and_log_each_change(two):
    evaluation = services.open_evaluation(two.admin, two.generator.enterprise_id)
    mark = services.set_mark(two.admin, evaluation.id, "generator.reduction", "12.5", " 已核查 ")
    assert (mark.points_tenths, mark.note, mark.marked_by_id) == (125, "已核查", two.admin.id)
    services.set_mark(two.admin, evaluation.id, "generator.reduction", None)
    assert mark.points_tenths is None
    assert cf.events(evaluation)[1:] == [("mark", "draft", "draft")] * 2
    with pytest.raises(NotFound):
        services.set_mark(two.admin, evaluation.id, "recycler.transport", "5")


def test_submission_needs_every_item_scored(two):
    evaluation = services.open_evaluation(two.admin, two.generator.enterprise_id)
    services.set_mark(two.admin, evaluation.id, "generator.reduction", "10")
    with pytest.raises(DomainError) as refused:
        services.submit_evaluation(two.admin, evaluation.id)
    assert "固体废物管理制度" in refused.value.message
    assert evaluation.status == "draft"


def test_submitted_marks_are_frozen(two):
    evaluation = cf.submitted(two.admin, two.generator.enterprise)
    with pytest.raises(Conflict):
        services.set_mark(two.admin, evaluation.id, "generator.reduction", "1")


def test_a_second_administrator_approves_and_the_grade_is_published_for_two_years(two):
    ent = two.generator.enterprise
    evaluation = cf.submitted(two.admin, ent, share=0.6)  # 40 online + 36 offline
    assert (evaluation.status, evaluation.total_tenths, evaluation.grade) == ("submitted", 760, "B")
    services.approve_evaluation(two.second, evaluation.id, "同意")
    db.session.commit()
    today = clock.today()
    assert evaluation.status == "published" and evaluation.approved_by_id == two.second.id
    assert evaluation.published_on == today
    assert evaluation.valid_until == add_months(today, 24) - timedelta(days=1)
    assert evaluation.appeal_until == today + timedelta(days=15)
    assert (ent.credit_grade, ent.credit_grade_until) == ("B", evaluation.valid_until)
    assert queries.breakdown(evaluation)["total"] == "76.0"
    assert cf.events(evaluation)[-3:] == [
        ("submit", "draft", "submitted"),
        ("approve", "submitted", "approved"),
        ("publish", "approved", "published"),
    ]
    told = db.session.execute(db.select(Message).filter_by(enterprise_id=ent.id)).scalar_one()
    assert told.kind == "credit_published"


def test_the_submitter_can_never_approve_or_return_their_own(two):
    evaluation = cf.submitted(two.admin, two.generator.enterprise)
    with pytest.raises(Forbidden) as refused:
        services.approve_evaluation(two.admin, evaluation.id)
    assert "second administrator" in refused.value.message
    with pytest.raises(Forbidden):
        services.return_evaluation(two.admin, evaluation.id, "改")
    with pytest.raises(Forbidden):
        services.approve_evaluation(two.admin_elsewhere, evaluation.id)
    assert evaluation.status == "submitted" and two.generator.enterprise.credit_grade is None


def test_the_schema_also_refuses_self_approval(two):
    evaluation = cf.submitted(two.admin, two.generator.enterprise)
    evaluation.approved_by_id = two.admin.id
    with pytest.raises(Exception, match="four_eyes"):
        db.session.flush()
    db.session.rollback()


def test_a_returned_evaluation_is_edited_and_submitted_again(two):
    evaluation = cf.submitted(two.admin, two.generator.enterprise)
    with pytest.raises(DomainError):
        services.return_evaluation(two.second, evaluation.id, "  ")
    services.return_evaluation(two.second, evaluation.id, "证据不足")
    assert evaluation.status == "returned"
    services.set_mark(two.admin, evaluation.id, "generator.reduction", "3", "复核")
    services.submit_evaluation(two.admin, evaluation.id)
    services.approve_evaluation(two.second, evaluation.id)
    assert evaluation.status == "published" and evaluation.total_tenths == 880
    returned = db.session.execute(
        db.select(CreditEventRow).filter_by(evaluation_id=evaluation.id, event="return")
    ).scalar_one()
    assert (returned.note, returned.actor_id) == ("证据不足", two.second.id)


@pytest.mark.parametrize(
    "share, grade",
    [(1, "A"), (0.84, "A"), (0.83, "B"), (0.6, "B"), (0.58, "C"), (0.34, "C"), (0.3, "D")],
)
def test_the_grade_follows_the_parks_thresholds(two, share, grade):
    # 40 online points plus the share of 60: 90.4, 89.8, 76.0, 74.8, 60.4, 58.0
    evaluation = cf.submitted(two.admin, two.generator.enterprise, share)
    assert evaluation.grade == grade


def test_a_score_exactly_on_a_threshold_lands_in_the_higher_grade(two):
    ent = two.generator.enterprise
    evaluation = services.open_evaluation(two.admin, ent.id)
    for key, points in zip(
        (m.item_key for m in evaluation.marks), ("15", "15", "15", "5"), strict=True
    ):
        services.set_mark(two.admin, evaluation.id, key, points)  # 40 + 50 = 90.0
    services.submit_evaluation(two.admin, evaluation.id)
    assert (evaluation.total_tenths, evaluation.grade) == (900, "A")


def test_publishing_supersedes_the_grade_in_force(two):
    ent = two.generator.enterprise
    first = cf.published(two.admin, two.second, ent, share=1)
    second = cf.published(two.second, two.admin, ent, share=0.5)
    db.session.refresh(first)
    assert (first.status, first.superseded_by_id, first.ended_on) == (
        "superseded",
        second.id,
        clock.today(),
    )
    assert (second.status, ent.credit_grade) == ("published", "C")
    assert [e.id for e in queries.history(ent.id)] == [second.id, first.id]
    assert ("supersede", "published", "superseded") in cf.events(first)


def test_an_evaluation_not_yet_published_can_be_withdrawn(two):
    evaluation = cf.submitted(two.admin, two.generator.enterprise)
    with pytest.raises(DomainError):
        services.cancel_evaluation(two.admin, evaluation.id, "")
    services.cancel_evaluation(two.admin, evaluation.id, "重复")
    assert evaluation.status == "cancelled"
    with pytest.raises(Conflict):
        services.approve_evaluation(two.second, evaluation.id)
    services.open_evaluation(two.admin, two.generator.enterprise_id)  # a new one may start


def test_the_enterprise_sees_its_evaluations_only_once_published(two):
    evaluation = cf.submitted(two.admin, two.generator.enterprise)
    with pytest.raises(NotFound):
        queries.evaluation_for(two.generator, evaluation.id)
    assert queries.evaluations_visible_to(two.generator) == []
    services.approve_evaluation(two.second, evaluation.id)
    assert queries.evaluation_for(two.generator, evaluation.id) is evaluation
    for outsider in (two.other, two.admin_elsewhere, None):
        with pytest.raises(NotFound):
            queries.evaluation_for(outsider, evaluation.id)
    assert queries.evaluations_visible_to(two.admin) == [evaluation]


def test_what_awaits_each_administrator(two):
    evaluation = cf.submitted(two.admin, two.generator.enterprise)
    assert queries.awaiting_approval(two.admin) == []
    assert queries.awaiting_approval(two.second) == [evaluation]
    assert queries.awaiting_approval(two.admin_elsewhere) == []


def test_the_public_register_shows_grades_in_force_without_scores(two):
    gen = two.generator.enterprise
    rec = two.recycler.enterprise
    cf.published(two.admin, two.second, gen, share=1)
    cf.published(two.admin, two.second, rec, share=0.5)
    rows = queries.register_rows(factories.park().id)
    assert {(r.name, r.grade, r.colour) for r in rows} == {
        (gen.name, "A", "green"),
        (rec.name, "C", "yellow"),
    }
    assert not hasattr(rows[0], "total_tenths")
    assert [r.name for r in queries.register_rows(factories.park().id, grade="C")] == [rec.name]
    assert [r.name for r in queries.register_rows(factories.park().id, role="recycler")] == [
        rec.name
    ]
    assert queries.register_rows(factories.park().id, search=gen.uscc[-6:])[0].name == gen.name
    assert queries.register_rows(factories.park("east").id) == []
    later = clock.today() + timedelta(days=800)
    assert queries.register_rows(factories.park().id, day=later) == []  # past validity


def test_a_checklist_edit_applies_to_evaluations_opened_later(two):
    park_id = factories.park().id
    before = services.open_evaluation(two.admin, two.generator.enterprise_id)
    credit_settings.save_checklist_item(
        two.admin,
        park_id,
        credit_settings.ItemInput("generator.reduction", "generator", "减量化", "Reduction", 30),
    )
    assert next(m for m in before.marks if m.item_key == "generator.reduction").max_points == 15
    after = services.open_evaluation(two.admin, two.other.enterprise_id)
    assert next(m for m in after.marks if m.item_key == "generator.reduction").max_points == 30
    with pytest.raises(DomainError):
        credit_settings.save_checklist_item(
            two.admin,
            park_id,
            credit_settings.ItemInput("generator.reduction", "recycler", "x", "x", 5),
        )
    with pytest.raises(Forbidden):
        credit_settings.save_checklist_item(
            two.admin_elsewhere, park_id, credit_settings.ItemInput("x", "generator", "x", "x", 5)
        )


@pytest.mark.parametrize(
    "values, field",
    [
        ({"offline": 70}, "offline"),  # parts no longer add up to 100
        ({"threshold_b_tenths": 950}, "threshold_a"),
        ({"appeal_days": 0}, "appeal_days"),
        ({"validity_years": "2"}, "validity_years"),
        ({"nonsense": 1}, "nonsense"),
    ],
)
def test_settings_that_do_not_fit_are_refused_whole(two, values, field):
    park_id = factories.park().id
    with pytest.raises(DomainError) as refused:
        credit_settings.update_settings(two.admin, park_id, values)
    assert refused.value.field == field
    assert credit_settings.settings_row(park_id).offline == 60


def test_settings_steer_new_evaluations(two):
    park_id = factories.park().id
    credit_settings.update_settings(
        two.admin, park_id, {"validity_years": 3, "threshold_a_tenths": 950, "appeal_days": 10}
    )
    evaluation = cf.published(two.admin, two.second, two.generator.enterprise, share=0.9)
    assert evaluation.grade == "B"  # 94.0 is below the park's 95
    assert evaluation.valid_until == add_months(clock.today(), 36) - timedelta(days=1)
    assert evaluation.appeal_until == clock.today() + timedelta(days=10)
