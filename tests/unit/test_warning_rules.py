"""The warning rules, one by one: where each fires, the edge where it does not yet, its
level, its stable cause key, its off switch; and the settings' own checks."""

import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta

import pytest

from market.manifests.workdays import WorkingCalendar
from market.warnings import rules
from market.warnings.rules import Category, Level, RuleKey, Settings

S = Settings()
TODAY = date(2030, 6, 12)  # a Wednesday in a year the official calendar does not cover
WEEKDAYS = WorkingCalendar(official=lambda day: None)  # Monday to Friday only


def off(rule: RuleKey) -> Settings:
    return replace(S, **{f"{rule.value}_on": False})


# ---- receipt not signed in time ----------------------------------------------------------


def test_a_receipt_is_late_the_day_after_the_fifth_working_day():
    pickup = date(2030, 6, 7)  # Friday: due the next Friday, 14 June
    row = rules.Transit(manifest_id=3, receiver_id=9, pickup_day=pickup)
    assert rules.late_receipts([row], date(2030, 6, 14), WEEKDAYS, S) == []
    (cause,) = rules.late_receipts([row], date(2030, 6, 15), WEEKDAYS, S)
    assert (cause.rule, cause.enterprise_id, cause.key, cause.level) == (
        RuleKey.LATE_RECEIPT, 9, "manifest:3", Level.LOW)  # fmt: skip
    assert cause.facts["due"] == "2030-06-14"
    assert cause.category is Category.TRANSFER and cause.auto_close


def test_the_park_holidays_push_the_receipt_due_day():
    pickup = date(2030, 6, 7)
    holiday = WorkingCalendar(park_holidays=frozenset({date(2030, 6, 10)}),
                              official=lambda day: None)  # fmt: skip
    row = rules.Transit(3, 9, pickup)
    assert rules.late_receipts([row], date(2030, 6, 15), holiday, S) == []
    assert len(rules.late_receipts([row], date(2030, 6, 18), holiday, S)) == 1


def test_the_receipt_days_are_a_park_setting_and_the_rule_can_be_off():
    row = rules.Transit(3, 9, date(2030, 6, 7))
    two_days = replace(S, receipt_working_days=2)  # due Tuesday 11 June
    assert len(rules.late_receipts([row], date(2030, 6, 12), WEEKDAYS, two_days)) == 1
    assert rules.late_receipts([row], date(2031, 1, 1), WEEKDAYS, off(RuleKey.LATE_RECEIPT)) == []


# ---- weight discrepancy ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weighed", "level"),
    [
        (1050, None),  # exactly 5 %: within the tolerance
        (1051, Level.LOW),
        (949, Level.LOW),  # either direction
        (1200, Level.LOW),  # exactly 20 %: still low
        (1201, Level.HIGH),
        (700, Level.HIGH),
    ],
)
def test_weight_discrepancy_is_low_beyond_the_tolerance_and_high_beyond_the_higher_bound(
    weighed, level
):
    causes = rules.weight_discrepancies([rules.Weighed(5, 2, 1000, weighed)], S)
    assert [c.level for c in causes] == ([level] if level else [])
    if causes:
        assert causes[0].key == "manifest:5" and causes[0].enterprise_id == 2
        assert not causes[0].auto_close  # a weighed fact is answered for, never gone


def test_weight_discrepancy_bounds_are_settings_and_it_can_be_off():
    row = rules.Weighed(5, 2, 1000, 1030)
    tight = replace(S, discrepancy_low_pct=2, discrepancy_high_pct=3)
    assert [c.level for c in rules.weight_discrepancies([row], tight)] == [Level.LOW]
    assert rules.weight_discrepancies([row], off(RuleKey.WEIGHT_DISCREPANCY)) == []


# ---- stock held --------------------------------------------------------------------------


def test_stock_is_held_too_long_strictly_past_the_limit():
    since = TODAY - timedelta(days=365)
    row = rules.Held(4, 11, "ISW-17-01-01", 800, since, "g")
    assert rules.stock_held([row], TODAY, S) == []
    (cause,) = rules.stock_held([replace(row, oldest_since=since - timedelta(days=1))], TODAY, S)
    assert cause.level is Level.MEDIUM and cause.category is Category.STOCK
    assert cause.key == f"stock:g11:{(since - timedelta(days=1)).isoformat()}"
    assert cause.auto_close


def test_no_stock_or_an_empty_ledger_is_never_held_too_long():
    old = TODAY - timedelta(days=900)
    assert rules.stock_held([rules.Held(4, 11, "X", 0, old)], TODAY, S) == []
    assert rules.stock_held([rules.Held(4, 11, "X", 5, None)], TODAY, S) == []
    row = rules.Held(4, 11, "X", 5, old)
    assert rules.stock_held([row], TODAY, off(RuleKey.STOCK_HELD)) == []
    assert len(rules.stock_held([row], TODAY, replace(S, storage_days=1000))) == 0


def test_the_stock_key_changes_when_newer_stock_is_the_oldest():
    a = rules.stock_held([rules.Held(4, 11, "X", 5, TODAY - timedelta(days=400))], TODAY, S)
    b = rules.stock_held([rules.Held(4, 11, "X", 5, TODAY - timedelta(days=380))], TODAY, S)
    assert a[0].key != b[0].key


# ---- over capacity -----------------------------------------------------------------------


def test_received_over_the_licensed_capacity_is_high_and_stays():
    at = rules.Throughput(7, 2030, received_kg=1_000_000, capacity_kg=1_000_000)
    assert rules.over_capacity([at], S) == []
    (cause,) = rules.over_capacity([replace(at, received_kg=1_000_001)], S)
    assert (cause.level, cause.key, cause.auto_close) == (Level.HIGH, "capacity:2030", False)
    assert cause.category is Category.OPERATION


def test_the_capacity_margin_and_the_off_switch():
    row = rules.Throughput(7, 2030, 1_100_000, 1_000_000)
    assert rules.over_capacity([row], replace(S, capacity_margin_pct=10)) == []
    assert len(rules.over_capacity([row], replace(S, capacity_margin_pct=9))) == 1
    assert rules.over_capacity([row], off(RuleKey.OVER_CAPACITY)) == []


# ---- expired licence ---------------------------------------------------------------------


def test_receiving_on_a_day_without_a_valid_licence():
    spans = {7: [(date(2029, 1, 1), date(2030, 6, 1))]}
    on_last_day = rules.Receipt(1, 7, date(2030, 6, 1))
    day_after = rules.Receipt(2, 7, date(2030, 6, 2))
    causes = rules.expired_licence([on_last_day, day_after], spans, S)
    assert [(c.key, c.level) for c in causes] == [("manifest:2", Level.HIGH)]
    assert causes[0].facts["expired"] == "2030-06-01" and not causes[0].auto_close


def test_a_receiver_with_no_licence_at_all_or_a_second_valid_one():
    spans = {7: [(date(2029, 1, 1), date(2030, 6, 1)), (date(2030, 6, 2), date(2031, 1, 1))]}
    assert rules.expired_licence([rules.Receipt(2, 7, date(2030, 6, 2))], spans, S) == []
    (none,) = rules.expired_licence([rules.Receipt(3, 8, date(2030, 6, 2))], spans, S)
    assert none.facts["expired"] is None
    receipt = rules.Receipt(3, 8, date(2030, 6, 2))
    assert rules.expired_licence([receipt], spans, off(RuleKey.EXPIRED_LICENCE)) == []


# ---- missing filing ----------------------------------------------------------------------


def test_a_filing_is_missing_only_after_its_due_day_and_until_it_is_filed():
    owed = rules.Owed(4, 11, "ISW-17-01-01", "2030-05", due=date(2030, 6, 15), filed_on=None)
    assert rules.missing_filings([owed], date(2030, 6, 15), S) == []
    (cause,) = rules.missing_filings([owed], date(2030, 6, 16), S)
    assert (cause.key, cause.level, cause.auto_close) == ("filing:11:2030-05", Level.LOW, True)
    assert cause.category is Category.DECLARATION
    filed_late = replace(owed, filed_on=date(2030, 6, 20))
    assert rules.missing_filings([filed_late], date(2030, 6, 21), S) == []
    assert rules.missing_filings([owed], date(2031, 1, 1), off(RuleKey.MISSING_FILING)) == []


# ---- declared below shipped --------------------------------------------------------------


def test_shipping_more_than_declared_beyond_the_margin():
    row = rules.Declared(4, 11, "X", 2030, declared_kg=10_000, shipped_kg=10_500)
    assert rules.under_declared([row], S) == []  # exactly 5 % over
    (cause,) = rules.under_declared([replace(row, shipped_kg=10_501)], S)
    assert (cause.key, cause.level, cause.category) == (
        "declared:11:2030", Level.MEDIUM, Category.GENERATION)  # fmt: skip
    nothing_declared = replace(row, declared_kg=0, shipped_kg=1)
    assert len(rules.under_declared([nothing_declared], S)) == 1
    assert rules.under_declared([nothing_declared], off(RuleKey.UNDER_DECLARED)) == []


# ---- generation spike --------------------------------------------------------------------


def test_a_spike_is_far_above_the_own_average_with_enough_history():
    row = rules.Series(4, 11, "X", filing_id=99, period_key="2030-05", latest_kg=3_001,
                       history_kg=(1_000, 1_000, 1_000))  # fmt: skip
    (cause,) = rules.generation_spikes([row], S)
    assert (cause.key, cause.level, cause.facts["average_kg"]) == ("spike:99", Level.LOW, 1000)
    assert rules.generation_spikes([replace(row, latest_kg=3_000)], S) == []  # exactly 3 ×
    assert rules.generation_spikes([replace(row, history_kg=(1_000, 1_000))], S) == []
    assert rules.generation_spikes([replace(row, history_kg=(0, 0, 0))], S) == []
    assert rules.generation_spikes([row], off(RuleKey.GENERATION_SPIKE)) == []
    assert rules.generation_spikes([row], replace(S, spike_factor_pct=400)) == []


# ---- lot without bids --------------------------------------------------------------------


def test_a_lot_open_n_days_without_a_bid():
    lot = rules.OpenLot(8, 4, "废钢", published_on=TODAY - timedelta(days=13), bids=0)
    assert rules.lots_without_bids([lot], TODAY, S) == []
    (cause,) = rules.lots_without_bids([replace(lot, published_on=TODAY - timedelta(days=14))],
                                       TODAY, S)  # fmt: skip
    assert (cause.key, cause.level, cause.auto_close) == ("lot:8", Level.LOW, True)
    old = replace(lot, published_on=TODAY - timedelta(days=40))
    assert rules.lots_without_bids([replace(old, bids=1)], TODAY, S) == []
    assert rules.lots_without_bids([old], TODAY, off(RuleKey.LOT_NO_BID)) == []
    assert rules.lots_without_bids([old], TODAY, replace(S, no_bid_days=41)) == []


# ---- settings and the catalogue of rules -------------------------------------------------


def test_every_rule_has_a_category_and_an_off_switch():
    assert {info.category for info in rules.RULES.values()} == set(Category)
    for rule in RuleKey:
        assert S.is_on(rule) and not off(rule).is_on(rule)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"storage_days": 0}, "storage_days"),
        ({"no_bid_days": 366}, "no_bid_days"),
        ({"discrepancy_low_pct": 20, "discrepancy_high_pct": 20}, "above"),
        ({"late_receipt_on": "yes"}, "true or false"),
        ({"spike_factor_pct": 2.5}, "whole number"),
        ({"answer_working_days": True}, "whole number"),
    ],
)
def test_settings_refuse_values_out_of_range(changes, message):
    with pytest.raises(ValueError, match=message):
        Settings(**changes)


def test_settings_round_trip_and_ignore_unknown_names():
    changed = replace(S, storage_days=180, lot_no_bid_on=False)
    assert Settings.from_dict({**changed.as_dict(), "gone": 1}) == changed


def test_levels_go_up_one_at_a_time_and_stop_at_high():
    assert [rules.level_above(x) for x in ("low", "medium", "high")] == [
        Level.MEDIUM, Level.HIGH, Level.HIGH]  # fmt: skip


@pytest.mark.parametrize("module", ["rules", "states"])
def test_the_rules_and_states_load_no_flask_and_no_database(module):
    code = (
        f"import sys, market.warnings.{module}; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'flask_sqlalchemy', 'sqlalchemy', 'flask_babel')]; print(bad); assert not bad"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
