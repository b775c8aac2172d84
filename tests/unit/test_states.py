import pytest

from market.listings.states import (
    DEMAND_TRANSITIONS,
    SUPPLY_TRANSITIONS,
    InvalidTransition,
    ListingEvent,
    ListingStatus,
    allowed_events,
    next_status,
)

S, E = ListingStatus, ListingEvent


@pytest.mark.parametrize(
    ("status", "event", "target"),
    [
        (S.DRAFT, E.PUBLISH, S.OPEN),
        (S.OPEN, E.WITHDRAW, S.WITHDRAWN),
        (S.OPEN, E.EXPIRE, S.EXPIRED),
        (S.OPEN, E.AWARD, S.AWARDED),
        (S.AWARDED, E.CLOSE, S.CLOSED),
        (S.DRAFT, E.WITHDRAW, S.WITHDRAWN),
    ],
)
def test_supply_lifecycle_follows_the_table(status, event, target):
    assert next_status(SUPPLY_TRANSITIONS, status, event) == target


@pytest.mark.parametrize("terminal", [S.CLOSED, S.WITHDRAWN, S.EXPIRED])
def test_terminal_states_have_no_way_out(terminal):
    # A closed demand listing is the exception: a cancelled deal gives capacity back.
    tables = (
        (SUPPLY_TRANSITIONS,) if terminal == S.CLOSED else (SUPPLY_TRANSITIONS, DEMAND_TRANSITIONS)
    )
    for table in tables:
        assert allowed_events(table, terminal) == []
        for event in E:
            with pytest.raises(InvalidTransition):
                next_status(table, terminal, event)


def test_a_demand_listing_is_never_awarded():
    with pytest.raises(InvalidTransition):
        next_status(DEMAND_TRANSITIONS, S.OPEN, E.AWARD)


def test_drafts_cannot_expire_or_be_awarded():
    for event in (E.EXPIRE, E.AWARD, E.CLOSE):
        with pytest.raises(InvalidTransition):
            next_status(SUPPLY_TRANSITIONS, S.DRAFT, event)


def test_every_target_is_a_known_status_and_create_is_never_a_transition():
    for table in (SUPPLY_TRANSITIONS, DEMAND_TRANSITIONS):
        assert all(isinstance(t, ListingStatus) for t in table.values())
        assert all(event != E.CREATE for _status, event in table)


def test_a_closed_demand_listing_reopens_only_when_capacity_comes_back():
    assert allowed_events(DEMAND_TRANSITIONS, S.CLOSED) == [E.REOPEN]


def test_bidding_closes_then_the_lot_can_still_be_awarded_or_withdrawn():
    assert next_status(SUPPLY_TRANSITIONS, S.OPEN, E.CLOSE_BIDDING) == S.BIDS_CLOSED
    assert set(allowed_events(SUPPLY_TRANSITIONS, S.BIDS_CLOSED)) == {E.AWARD, E.WITHDRAW, E.EXPIRE}


def test_a_bid_leaves_active_exactly_once_and_only_an_accepted_one_moves_again():
    from market.listings.states import BID_TRANSITIONS, BidEvent, BidStatus

    assert {s for s, _e in BID_TRANSITIONS} == {BidStatus.ACTIVE, BidStatus.ACCEPTED}
    for event in BidEvent:
        for status in BidStatus:
            if status == BidStatus.ACTIVE:
                continue
            if (status, event) == (BidStatus.ACCEPTED, BidEvent.CANCEL):
                assert next_status(BID_TRANSITIONS, status, event) == BidStatus.CANCELLED
                continue
            with pytest.raises(InvalidTransition):
                next_status(BID_TRANSITIONS, status, event)


def test_payment_capture_needs_an_authorisation_or_a_found_capture():
    from market.deals.states import PAYMENT_TRANSITIONS, PaymentEvent, PaymentStatus

    assert (
        next_status(PAYMENT_TRANSITIONS, PaymentStatus.AUTHORISED, PaymentEvent.CAPTURE)
        == PaymentStatus.CAPTURED
    )
    for terminal in (PaymentStatus.CAPTURED, PaymentStatus.CANCELLED):
        assert allowed_events(PAYMENT_TRANSITIONS, terminal) == []
