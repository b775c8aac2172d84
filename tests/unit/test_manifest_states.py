import itertools

import pytest

from market.manifests.states import (
    ACTORS,
    FINAL,
    MANIFEST_TRANSITIONS,
    SIGNATURES,
    STARTED,
    InvalidTransition,
    ManifestEvent,
    ManifestStatus,
    Role,
    allowed_events,
    can_cancel,
    may_fire,
    next_status,
)

S, E = ManifestStatus, ManifestEvent

# The lifecycle written out as a grid, one row per status: event -> next status.
# Every pair not listed must be refused.
SPEC = {
    S.DRAFT: {E.EDIT: S.DRAFT, E.SUBMIT: S.SUBMITTED, E.CANCEL: S.CANCELLED},
    S.SUBMITTED: {E.CANCEL: S.CANCELLED, E.PICK_UP: S.IN_TRANSIT},
    S.IN_TRANSIT: {
        E.HAND_OVER: S.IN_TRANSIT,
        E.MARK_OVERDUE: S.IN_TRANSIT,
        E.RECEIVE: S.RECEIVED,
        E.RECEIVE_PART: S.RECEIVED,
        E.REJECT: S.REJECTED,
    },
    S.RECEIVED: {E.EXPLAIN_DISCREPANCY: S.RECEIVED, E.CORRECT: S.RECEIVED, E.CLOSE: S.CLOSED},
    S.REJECTED: {E.CORRECT: S.REJECTED},
    S.CLOSED: {E.CORRECT: S.CLOSED},
    S.CANCELLED: {},
}


@pytest.mark.parametrize(("status", "event"), list(itertools.product(S, E)))
def test_every_status_event_pair_follows_the_grid(status, event):
    expected = SPEC[status].get(event)
    if expected is None:
        with pytest.raises(InvalidTransition) as caught:
            next_status(MANIFEST_TRANSITIONS, status, event)
        assert (caught.value.status, caught.value.event) == (status, event)
    else:
        assert next_status(MANIFEST_TRANSITIONS, status, event) == expected


def test_statuses_read_back_as_strings_look_up_directly():
    assert next_status(MANIFEST_TRANSITIONS, "in_transit", "receive_part") == S.RECEIVED


def test_the_happy_path_runs_from_draft_to_closed():
    status = S.DRAFT
    for event in (E.EDIT, E.SUBMIT, E.PICK_UP, E.HAND_OVER, E.MARK_OVERDUE, E.RECEIVE, E.CLOSE):
        status = next_status(MANIFEST_TRANSITIONS, status, event)
    assert status == S.CLOSED


def test_cancel_only_before_pickup():
    assert [s for s in S if can_cancel(s)] == [S.DRAFT, S.SUBMITTED]


def test_a_correction_never_reopens_or_moves_a_manifest():
    for status in S:
        if (status, E.CORRECT) in MANIFEST_TRANSITIONS:
            assert next_status(MANIFEST_TRANSITIONS, status, E.CORRECT) == status
    assert allowed_events(MANIFEST_TRANSITIONS, S.CLOSED) == [E.CORRECT]


def test_final_statuses_have_no_way_out():
    for status in FINAL:
        assert all(
            target == status for (s, _e), target in MANIFEST_TRANSITIONS.items() if s == status
        )


def test_every_status_is_reachable_from_a_draft():
    reached, frontier = {S.DRAFT}, [S.DRAFT]
    while frontier:
        status = frontier.pop()
        for event in allowed_events(MANIFEST_TRANSITIONS, status):
            target = MANIFEST_TRANSITIONS[(status, event)]
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(S)


def test_create_is_logged_only():
    assert all(event != E.CREATE for _s, event in MANIFEST_TRANSITIONS)


def test_each_party_fires_only_its_own_signatures():
    assert {e for e in SIGNATURES if may_fire(Role.GENERATOR, e)} == {E.SUBMIT}
    assert {e for e in SIGNATURES if may_fire(Role.TRANSPORTER, e)} == {E.PICK_UP, E.HAND_OVER}
    assert {e for e in SIGNATURES if may_fire(Role.RECEIVER, e)} == {
        E.RECEIVE,
        E.RECEIVE_PART,
        E.REJECT,
    }
    assert not any(may_fire(Role.SYSTEM, e) for e in SIGNATURES)
    assert may_fire(Role.SYSTEM, E.MARK_OVERDUE) and not may_fire(Role.RECEIVER, E.MARK_OVERDUE)
    assert not may_fire("park_admin", E.CANCEL)


def test_every_event_has_an_actor():
    assert set(ACTORS) == set(E)
    assert all(ACTORS[e] for e in E)


def test_started_manifests_are_those_the_generator_signed_and_did_not_cancel():
    assert STARTED == {S.SUBMITTED, S.IN_TRANSIT, S.RECEIVED, S.REJECTED, S.CLOSED}
