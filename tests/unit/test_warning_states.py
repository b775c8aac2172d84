"""The warning loop's transition table: every way through it, and every step it refuses."""

import pytest

from market.lifecycle import InvalidTransition, allowed_events, next_status
from market.warnings import states
from market.warnings.states import WARNING_TRANSITIONS as T
from market.warnings.states import WarningEvent as E
from market.warnings.states import WarningStatus as S


def walk(start, *events):
    status = start
    for event in events:
        status = next_status(T, status, event)
    return status


def test_low_goes_to_the_enterprise_and_medium_and_high_to_the_administrator():
    assert states.initial_status("low") == S.SENT
    assert states.initial_status("medium") == S.RAISED
    assert states.initial_status("high") == S.RAISED


def test_the_ways_through_the_loop():
    assert walk(S.SENT, E.ANSWER) == S.CLOSED
    assert walk(S.RAISED, E.FORWARD, E.RECTIFY, E.RETURN, E.RECTIFY, E.ACCEPT) == S.CLOSED
    assert walk(S.RAISED, E.RECORD) == S.CLOSED
    assert walk(S.SENT, E.ESCALATE, E.FORWARD, E.ESCALATE, E.RECORD) == S.CLOSED


@pytest.mark.parametrize("status", sorted(states.OPEN))
def test_every_open_warning_can_close_by_itself(status):
    assert next_status(T, status, E.AUTO_CLOSE) == S.AUTO_CLOSED


@pytest.mark.parametrize("status", sorted(states.DONE))
def test_a_closed_warning_takes_no_step(status):
    assert allowed_events(T, status) == []


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (S.SENT, E.FORWARD),  # a low warning is the enterprise's, not forwarded
        (S.SENT, E.RECTIFY),
        (S.RAISED, E.ANSWER),  # the enterprise cannot answer what is with the administrator
        (S.RAISED, E.ACCEPT),
        (S.FORWARDED, E.ANSWER),
        (S.FORWARDED, E.ACCEPT),  # nothing to accept before a rectification
        (S.RECTIFIED, E.RECTIFY),  # twice
        (S.RECTIFIED, E.ESCALATE),  # the enterprise has done its part
        (S.CLOSED, E.ANSWER),  # answering twice
        (S.RAISED, E.ESCALATE),
    ],
)
def test_steps_the_table_refuses(status, event):
    with pytest.raises(InvalidTransition):
        next_status(T, status, event)


def test_only_a_medium_warning_with_the_administrator_is_forwarded():
    assert states.may_forward(S.RAISED, "medium")
    assert not states.may_forward(S.RAISED, "high")
    assert not states.may_forward(S.SENT, "low")


def test_what_waits_on_whom_covers_every_open_status_once():
    assert states.WAITS_ON_ENTERPRISE | states.WAITS_ON_ADMIN == states.OPEN
    assert not states.WAITS_ON_ENTERPRISE & states.WAITS_ON_ADMIN
