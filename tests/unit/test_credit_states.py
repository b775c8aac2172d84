"""The credit evaluation and violation lifecycles: every step the workflow relies on, and
every step it must refuse."""

import pytest

from market.credit import states
from market.credit.states import EVALUATION_TRANSITIONS as T
from market.credit.states import EvaluationEvent as E
from market.credit.states import EvaluationStatus as S
from market.lifecycle import InvalidTransition, allowed_events, next_status


def walk(*events, start=S.DRAFT):
    status = start
    for event in events:
        status = next_status(T, status, event)
    return status


def test_the_whole_way_from_draft_to_a_changed_grade_that_is_superseded():
    assert walk(E.SUBMIT, E.RETURN, E.SUBMIT, E.APPROVE, E.PUBLISH) == S.PUBLISHED
    assert walk(E.APPEAL, E.CHANGE, E.SUPERSEDE, start=S.PUBLISHED) == S.SUPERSEDED
    assert walk(E.APPEAL, E.UPHOLD, E.EXPIRE, start=S.PUBLISHED) == S.EXPIRED


def test_approval_only_leads_to_publication():
    assert allowed_events(T, S.APPROVED) == [E.PUBLISH]


@pytest.mark.parametrize(
    "status, event",
    [
        (S.DRAFT, E.APPROVE),  # never approved without submission
        (S.RETURNED, E.APPROVE),
        (S.SUBMITTED, E.MARK),  # no edits under review
        (S.SUBMITTED, E.ATTACH),
        (S.SUBMITTED, E.PUBLISH),  # only through approval
        (S.APPEALED, E.APPEAL),  # once
        (S.UPHELD, E.APPEAL),
        (S.CHANGED, E.APPEAL),
        (S.PUBLISHED, E.CANCEL),  # a published grade ends by expiry or supersession
        (S.EXPIRED, E.PUBLISH),
        (S.SUPERSEDED, E.FORCE_D),
        (S.CANCELLED, E.SUBMIT),
        (S.DRAFT, E.EXPIRE),
    ],
)
def test_refused_steps(status, event):
    with pytest.raises(InvalidTransition):
        next_status(T, status, event)


def test_ended_statuses_lead_nowhere():
    for status in states.ENDED:
        assert allowed_events(T, status) == []


def test_self_loops_stay_where_they_are_and_only_where_they_belong():
    for event, allowed in (
        (E.MARK, states.EDITABLE),
        (E.REFRESH, states.EDITABLE),
        (E.ATTACH, states.EDITABLE),
        (E.FORCE_D, states.IN_FORCE),
        (E.REMIND, states.IN_FORCE),
    ):
        sources = {s for (s, e) in T if e == event}
        assert sources == set(allowed)
        assert all(T[(s, event)] == s for s in sources)


def test_only_a_published_grade_never_appealed_can_be_appealed():
    assert [s for s in S if states.can_appeal(s)] == [S.PUBLISHED]


def test_every_in_force_status_can_end_both_ways():
    for status in states.IN_FORCE:
        assert next_status(T, status, E.EXPIRE) == S.EXPIRED
        assert next_status(T, status, E.SUPERSEDE) == S.SUPERSEDED


def test_the_enterprise_sees_published_grades_and_their_history_but_no_drafts():
    assert states.VISIBLE_TO_ENTERPRISE.isdisjoint(states.OPEN | {S.APPROVED, S.CANCELLED})


def test_event_and_status_names_fit_their_columns():
    assert max(len(s) for s in S) <= 12 and max(len(e) for e in E) <= 12


def test_a_violation_is_decided_once():
    V, VE = states.ViolationStatus, states.ViolationEvent
    assert next_status(states.VIOLATION_TRANSITIONS, V.REPORTED, VE.CONFIRM) == V.CONFIRMED
    for decided in (V.CONFIRMED, V.DISMISSED):
        for event in (VE.CONFIRM, VE.DISMISS):
            with pytest.raises(InvalidTransition):
                next_status(states.VIOLATION_TRANSITIONS, decided, event)
