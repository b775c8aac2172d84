"""The ledger arithmetic: stock carried across periods, gaps, negative stock, FIFO ageing."""

import subprocess
import sys
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.manifests.ledger import (
    Filed,
    Flag,
    Moved,
    StorageLimit,
    generator_ledger,
    recycler_ledger,
)
from market.manifests.periods import Kind, parse, periods_between

D = date
Q1 = periods_between(D(2026, 1, 1), D(2026, 3, 31), Kind.MONTH)
JAN, FEB, MAR = Q1


def filed(period, kg, filing_id=None):
    return Filed(period, kg, filing_id or 100 + period.start.month)


def figures(rows):
    return [(r.opening_kg, r.generated_kg, r.transferred_kg, r.closing_kg) for r in rows]


def test_no_filings_and_no_shipments_give_empty_rows_flagged_missing():
    rows = generator_ledger(Q1, [], [])
    assert figures(rows) == [(0, 0, 0, 0)] * 3
    assert all(r.flags == {Flag.MISSING_FILING} and r.oldest_since is None for r in rows)
    assert all(r.held_days == 0 and r.filing_ids == () for r in rows)


def test_no_periods_no_rows():
    assert generator_ledger([], [], []) == ()
    assert recycler_ledger([], [], [], []) == ()


def test_opening_plus_generated_minus_transferred_is_closing_and_carries_over():
    rows = generator_ledger(
        Q1,
        [filed(JAN, 500), filed(FEB, 200), filed(MAR, 0)],
        [Moved(D(2026, 1, 20), 300, 7), Moved(D(2026, 2, 3), 250, 8), Moved(D(2026, 2, 27), 50, 9)],
        opening_kg=100,
    )
    assert figures(rows) == [(100, 500, 300, 300), (300, 200, 300, 200), (200, 0, 0, 200)]
    assert rows[1].manifest_ids == (8, 9) and rows[0].filing_ids == (101,)
    assert all(not r.flags for r in rows)  # a filing of 0 kg is a filing


def test_a_gap_counts_zero_generation_and_is_flagged_missing():
    rows = generator_ledger(Q1, [filed(JAN, 400), filed(MAR, 100)], [])
    assert figures(rows) == [(0, 400, 0, 400), (400, 0, 0, 400), (400, 100, 0, 500)]
    assert [r.flags for r in rows] == [set(), {Flag.MISSING_FILING}, set()]


def test_shipping_without_a_filing_drives_the_stock_negative_until_generation_covers_it():
    rows = generator_ledger(Q1, [filed(JAN, 100), filed(MAR, 300)], [Moved(D(2026, 2, 10), 200, 5)])
    assert figures(rows) == [(0, 100, 0, 100), (100, 0, 200, -100), (-100, 300, 0, 200)]
    assert rows[1].flags == {Flag.MISSING_FILING, Flag.NEGATIVE_STOCK}
    assert rows[1].oldest_since is None and rows[1].manifest_ids == (5,)
    assert rows[2].flags == set() and rows[2].oldest_since == D(2026, 3, 1)


def test_shipping_more_than_generated_plus_stock_within_one_period_is_negative():
    rows = generator_ledger([JAN], [filed(JAN, 100)], [Moved(D(2026, 1, 31), 101, 1)], 0)
    assert rows[0].closing_kg == -1 and rows[0].flags == {Flag.NEGATIVE_STOCK}


def test_stock_leaves_oldest_first_and_ages_from_the_start_of_its_period():
    rows = generator_ledger(
        Q1, [filed(JAN, 100), filed(FEB, 100), filed(MAR, 0)], [Moved(D(2026, 3, 5), 150, 1)]
    )
    assert [r.oldest_since for r in rows] == [D(2026, 1, 1), D(2026, 1, 1), D(2026, 2, 1)]
    assert [r.held_days for r in rows] == [30, 58, 58]


@pytest.mark.parametrize("days, flagged", [(57, [False, True, True]), (58, [False] * 3)])
def test_stock_held_strictly_beyond_the_day_limit_is_flagged(days, flagged):
    rows = generator_ledger(
        Q1,
        [filed(JAN, 100), filed(FEB, 100), filed(MAR, 0)],
        [Moved(D(2026, 3, 5), 150, 1)],
        limit=StorageLimit(days=days),
    )
    assert [Flag.HELD_TOO_LONG in r.flags for r in rows] == flagged


def test_opening_stock_ages_from_when_it_was_made():
    rows = generator_ledger([JAN], [filed(JAN, 0)], [], 10, D(2025, 10, 1), StorageLimit(days=90))
    assert rows[0].held_days == 122 and rows[0].flags == {Flag.HELD_TOO_LONG}


@pytest.mark.parametrize("closing, flagged", [(1000, False), (1001, True)])
def test_stock_above_the_tonnage_limit_is_flagged(closing, flagged):
    rows = generator_ledger([JAN], [filed(JAN, closing)], [], limit=StorageLimit(kg=1000))
    assert (Flag.OVER_STORAGE in rows[0].flags) is flagged


def test_huge_values_stay_exact_integers():
    huge = 10**30
    rows = generator_ledger(
        [JAN, FEB], [filed(JAN, huge), filed(FEB, huge)], [Moved(D(2026, 2, 1), 2 * huge - 1, 1)]
    )
    assert rows[1].closing_kg == 1 and isinstance(rows[1].closing_kg, int)
    assert rows[1].oldest_since == D(2026, 2, 1)


def test_weekly_ledger_across_iso_week_53():
    weeks = periods_between(D(2026, 12, 21), D(2027, 1, 10), Kind.WEEK)
    rows = generator_ledger(weeks, [Filed(parse("2026-W53"), 70, 1)], [Moved(D(2027, 1, 3), 70, 2)])
    assert [r.period.key for r in rows] == ["2026-W52", "2026-W53", "2027-W01"]
    assert figures(rows)[1] == (0, 70, 70, 0)


@pytest.mark.parametrize(
    "filings, shipped, message",
    [
        ([filed(JAN, -1)], [], "non-negative"),
        ([filed(JAN, 1.5)], [], "non-negative"),
        ([filed(JAN, True)], [], "non-negative"),
        ([], [Moved(D(2026, 1, 1), -5, 3)], "non-negative"),
        ([], [Moved(D(2025, 12, 31), 5, 3)], "outside"),
        ([], [Moved(D(2026, 4, 1), 5, 3)], "outside"),
        ([Filed(parse("2026-04"), 5, 1)], [], "not in the ledger"),
        ([Filed(parse("2026-Q1"), 5, 1)], [], "not in the ledger"),
        ([filed(JAN, 5, 1), filed(JAN, 6, 2)], [], "two filings"),
    ],
)
def test_bad_inputs_are_refused(filings, shipped, message):
    with pytest.raises(ValueError, match=message):
        generator_ledger(Q1, filings, shipped)


def test_periods_must_follow_each_other_and_opening_stock_must_be_older():
    with pytest.raises(ValueError, match="follow each other"):
        generator_ledger([JAN, MAR], [], [])
    with pytest.raises(ValueError, match="follow each other"):
        generator_ledger([JAN, parse("2026-Q1")], [], [])
    with pytest.raises(ValueError, match="younger"):
        generator_ledger(Q1, [], [], 5, D(2026, 1, 2))
    with pytest.raises(ValueError, match="whole kilograms"):
        generator_ledger(Q1, [], [], 0.5)
    with pytest.raises(ValueError, match="storage limit"):
        StorageLimit(days=-1)


def recycler_figures(rows):
    return [(r.opening_kg, r.received_kg, r.utilised_kg, r.disposed_kg, r.closing_kg) for r in rows]


def test_recycler_stock_is_received_minus_utilised_and_disposed():
    rows = recycler_ledger(
        Q1,
        received=[Moved(D(2026, 1, 10), 800, 1), Moved(D(2026, 2, 20), 300, 2)],
        utilised=[Moved(D(2026, 1, 25), 500, 11), Moved(D(2026, 3, 2), 350, 12)],
        disposed=[Moved(D(2026, 2, 1), 100, 21)],
        opening_kg=50,
    )
    assert recycler_figures(rows) == [
        (50, 800, 500, 0, 350),
        (350, 300, 0, 100, 550),
        (550, 0, 350, 0, 200),
    ]
    assert (rows[0].manifest_ids, rows[0].utilised_ids, rows[1].disposed_ids) == (
        (1,),
        (11,),
        (21,),
    )
    # FIFO: the 50 kg opening and the January lot went first; what is left came on Feb 20
    assert rows[2].oldest_since == D(2026, 2, 20) and rows[2].held_days == 39


def test_a_recycler_using_more_than_it_received_is_negative_and_limits_apply():
    rows = recycler_ledger(
        [JAN, FEB],
        received=[Moved(D(2026, 1, 5), 100, 1), Moved(D(2026, 2, 1), 5000, 2)],
        utilised=[Moved(D(2026, 1, 6), 150, 3)],
        disposed=[],
        limit=StorageLimit(days=20, kg=4000),
    )
    assert [r.closing_kg for r in rows] == [-50, 4950]
    assert rows[0].flags == {Flag.NEGATIVE_STOCK}
    assert rows[1].flags == {Flag.OVER_STORAGE, Flag.HELD_TOO_LONG}  # held since Feb 1: 27 days


def test_a_negative_opening_stock_is_a_deficit_the_first_receipt_covers():
    rows = recycler_ledger([JAN], [Moved(D(2026, 1, 9), 30, 1)], [], [], opening_kg=-10)
    assert rows[0].closing_kg == 20 and rows[0].oldest_since == D(2026, 1, 9)


amounts = st.integers(min_value=0, max_value=10**6)


@given(
    st.lists(st.one_of(st.none(), amounts), min_size=3, max_size=3),
    st.lists(st.tuples(st.integers(0, 89), amounts), max_size=8),
    st.integers(min_value=-1000, max_value=1000),
)
def test_every_row_balances_and_chains(generation, shipments, opening):
    filings = [filed(p, kg) for p, kg in zip(Q1, generation, strict=True) if kg is not None]
    moved = [Moved(D(2026, 1, 1).fromordinal(D(2026, 1, 1).toordinal() + d), kg, i)
             for i, (d, kg) in enumerate(shipments)]  # fmt: skip
    rows = generator_ledger(Q1, filings, moved, opening_kg=opening)
    assert rows[0].opening_kg == opening
    for row, after in zip(rows, rows[1:], strict=False):
        assert row.closing_kg == after.opening_kg
    for row in rows:
        assert row.opening_kg + row.generated_kg - row.transferred_kg == row.closing_kg
        assert (Flag.NEGATIVE_STOCK in row.flags) is (row.closing_kg < 0)
        assert (row.oldest_since is None) is (row.closing_kg <= 0)
    assert sum(r.transferred_kg for r in rows) == sum(kg for _, kg in shipments)


def test_the_module_imports_no_flask_and_no_database():
    code = (
        "import sys, market.manifests.ledger; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'flask_sqlalchemy', 'sqlalchemy')]; print(bad); assert not bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
