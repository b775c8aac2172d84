"""一表分级评价 scoring: every rule and edge, each figure traced to its rows."""

import json
import subprocess
import sys
from datetime import date, timedelta
from fractions import Fraction as F

import pytest

from market.credit.scoring import (
    COLOURS,
    DEFAULT_DEDUCTIONS,
    Evidence,
    Grade,
    GradedRole,
    Item,
    ManifestFacts,
    Owed,
    Problem,
    Reason,
    Ref,
    ScoringError,
    Settings,
    WarningFacts,
    completeness,
    evaluate,
    grade_of,
    offline,
    owed_filings,
    part_from_dict,
    part_to_dict,
    tenths,
    truthfulness,
)
from market.manifests.ledger import Filed, Moved, generator_ledger, recycler_ledger
from market.manifests.periods import FilingState, Kind, Tier, parse, periods_between

D = date
WARNING_SIZES = {Reason.WARNING_LOW: F(1, 2), Reason.WARNING_MEDIUM: 1,
                 Reason.WARNING_HIGH: 2, Reason.WARNING_OVERDUE: 1}  # fmt: skip
S = Settings()
GEN = frozenset({GradedRole.GENERATOR})
BOTH = frozenset({GradedRole.GENERATOR, GradedRole.RECYCLER})
FULL_GEN = {
    "generator.management_system": 15,
    "generator.reduction": 15,
    "generator.storage_site": 15,
    "generator.transfer_disposal": 15,
}
FULL_REC = {"recycler.waste_management": 20, "recycler.transport": 20, "recycler.storage_site": 20}
ON, LATE, MISSING = FilingState.ON_TIME, FilingState.LATE, FilingState.MISSING


def owed(*states):
    return [
        Owed("HW49", f"2026-{i + 1:02d}", s, None if s is MISSING else 10 + i)
        for i, s in enumerate(states)
    ]


def test_a_clean_record_scores_100_and_grade_a_green():
    result = evaluate(Evidence(GEN, owed(ON, ON)), FULL_GEN, S)
    assert [p.tenths for p in result.parts] == [200, 200, 600] and result.total_tenths == 1000
    assert (result.grade, result.colour, result.nothing_due) == (Grade.A, "green", False)
    assert all(p.deductions == () for p in result.parts)


def test_no_filings_due_gives_full_completeness_and_says_so():
    result = evaluate(Evidence(GEN), FULL_GEN, S)
    assert result.parts[0].tenths == 200 and result.nothing_due
    not_due_yet = evaluate(
        Evidence(GEN, [Owed("HW49", "2026-11", FilingState.NOT_DUE)]), FULL_GEN, S
    )
    assert not_due_yet.nothing_due and not_due_yet.parts[0].deductions == ()


def test_all_late_earns_half_of_completeness_with_each_filing_linked():
    part = completeness(owed(LATE, LATE, LATE, LATE), S)
    assert part.exact == 10 and part.tenths == 100
    assert [(d.reason, d.points, d.refs) for d in part.deductions] == [
        (Reason.LATE_FILING, F(5, 2), (Ref("filing", 10 + i),)) for i in range(4)
    ]
    assert part.deductions[0].subject == "HW49 2026-01"


def test_all_missing_scores_zero_and_missing_filings_have_no_rows():
    part = completeness(owed(MISSING, MISSING), S)
    assert part.exact == 0 and all(d.refs == () for d in part.deductions)
    assert {d.reason for d in part.deductions} == {Reason.MISSING_FILING}


def test_thirds_stay_exact_and_round_half_up_only_when_shown():
    part = completeness(owed(ON, LATE, MISSING), S)  # 20 − 20/6 − 20/3
    assert part.exact == 10 and [tenths(d.points) for d in part.deductions] == [33, 67]
    assert completeness(owed(ON, ON, LATE), S).exact == F(50, 3)  # 16.666…
    assert completeness(owed(ON, ON, LATE), S).tenths == 167


def test_the_late_credit_is_a_park_setting():
    assert completeness(owed(LATE, ON), Settings(late_credit=F(0))).exact == 10
    assert completeness(owed(LATE, ON), Settings(late_credit=F(3, 4))).exact == F(35, 2)


YEAR_2026 = (D(2026, 1, 1), D(2026, 12, 31))


def test_a_window_spanning_a_tier_change_counts_periods_per_tier_segment():
    tiers = [Tier(D(2020, 1, 1), Kind.MONTH), Tier(D(2026, 7, 1), Kind.QUARTER)]
    monthly_keys = ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 7)]
    filings = {("HW49", key): (i, parse(key).end + timedelta(days=10))
               for i, key in enumerate(monthly_keys)}  # fmt: skip
    filings[("HW49", "2026-Q3")] = (99, D(2026, 10, 20))  # due Oct 15: late
    result = owed_filings(["HW49", "SW17", "HW49"], tiers, YEAR_2026, filings, D(2027, 1, 5))
    assert [(o.code, o.period_key) for o in result if o.code == "HW49"] == [
        ("HW49", k) for k in monthly_keys + ["2026-Q3"]
    ]
    assert len(result) == 16  # 7 months + 1 quarter, for each of two codes
    states = [o.state for o in result if o.code == "HW49"]
    assert states == [ON] * 7 + [LATE] and {o.state for o in result if o.code == "SW17"} == {
        MISSING
    }
    assert completeness(result, S).exact == 20 - F(20, 16) * 8 - F(20, 16) / 2


def test_owed_filings_judges_a_late_filing_by_the_day_it_came():
    tiers = [Tier(D(2020, 1, 1), Kind.YEAR)]
    filings = {("HW08", "2025"): (7, D(2026, 4, 2))}
    (only,) = owed_filings(["HW08"], tiers, YEAR_2026, filings, D(2026, 12, 31))
    assert (only.period_key, only.state, only.filing_id) == ("2025", LATE, 7)


def test_the_window_cannot_end_after_today():
    with pytest.raises(ValueError, match="after today"):
        owed_filings(["HW49"], [Tier(D(2020, 1, 1), Kind.MONTH)], YEAR_2026, {}, D(2026, 12, 30))


JAN, FEB, MAR = periods_between(D(2026, 1, 1), D(2026, 3, 31), Kind.MONTH)


def test_shipping_more_than_generated_plus_stock_costs_truthfulness_once_per_period():
    rows = generator_ledger(
        [JAN, FEB, MAR],
        [Filed(JAN, 100, 1), Filed(MAR, 50, 3)],
        [Moved(D(2026, 2, 10), 300, 41), Moved(D(2026, 2, 11), 10, 42)],
    )  # Feb closes at −210; March stays negative (−160) but ships nothing: not counted again
    part = truthfulness(Evidence(GEN, ledgers={"HW49": rows}), S)
    assert [(d.reason, d.points, d.refs, d.subject) for d in part.deductions] == [
        (Reason.NEGATIVE_STOCK, 5, (Ref("manifest", 41), Ref("manifest", 42)), "HW49 2026-02")
    ]
    assert part.exact == 15


def test_a_negative_period_links_its_filing_and_its_manifests():
    rows = generator_ledger([JAN], [Filed(JAN, 100, 8)], [Moved(D(2026, 1, 9), 150, 41)])
    (found,) = truthfulness(Evidence(GEN, ledgers={"HW49": rows}), S).deductions
    assert found.refs == (Ref("filing", 8), Ref("manifest", 41))


def test_a_recycler_using_more_than_it_received_links_every_row_behind_it():
    rows = recycler_ledger(
        [JAN], [Moved(D(2026, 1, 2), 100, 5)], [Moved(D(2026, 1, 3), 80, 6)],
        [Moved(D(2026, 1, 4), 30, 7)],
    )  # fmt: skip
    (found,) = truthfulness(Evidence(BOTH, ledgers={"HW08": rows}), S).deductions
    assert found.refs == (Ref("manifest", 5), Ref("utilisation", 6), Ref("disposal", 7))


def test_manifest_discrepancies_late_receipts_and_corrections_each_deduct():
    evidence = Evidence(
        GEN,
        manifests=[ManifestFacts(1, weight_discrepancy=True, receipt_late=True), ManifestFacts(2)],
        corrected_filing_ids=[9, 9, 4],
    )
    part = truthfulness(evidence, S)
    assert [(d.reason, d.points, d.refs) for d in part.deductions] == [
        (Reason.WEIGHT_DISCREPANCY, 2, (Ref("manifest", 1),)),
        (Reason.LATE_RECEIPT, 1, (Ref("manifest", 1),)),
        (Reason.CORRECTION, 1, (Ref("filing", 4),)),
        (Reason.CORRECTION, 1, (Ref("filing", 9),)),
    ]
    assert part.exact == 15


def test_truthfulness_never_drops_below_zero_but_lists_every_deduction():
    facts = [ManifestFacts(i, weight_discrepancy=True) for i in range(15)]
    part = truthfulness(Evidence(GEN, manifests=facts), S)
    assert part.exact == 0 and len(part.deductions) == 15


def test_deduction_sizes_are_park_settings():
    sizes = {Reason.NEGATIVE_STOCK: 5, Reason.WEIGHT_DISCREPANCY: F(1, 2),
             Reason.LATE_RECEIPT: 0, Reason.CORRECTION: 3, **WARNING_SIZES}  # fmt: skip
    facts = [ManifestFacts(1, weight_discrepancy=True, receipt_late=True)]
    part = truthfulness(Evidence(GEN, manifests=facts), Settings(deductions=sizes))
    assert part.exact == F(39, 2) and [d.points for d in part.deductions] == [F(1, 2), 0]


def test_offline_marks_scale_to_the_offline_part_and_record_each_shortfall():
    marks = {**FULL_GEN, "generator.reduction": 10, "generator.transfer_disposal": F(15, 2)}
    part = offline(GEN, marks, S)
    assert part.exact == F(95, 2) and part.tenths == 475
    assert [(d.reason, d.subject, d.points) for d in part.deductions] == [
        (Reason.OFFLINE_ITEM, "generator.reduction", 5),
        (Reason.OFFLINE_ITEM, "generator.transfer_disposal", F(15, 2)),
    ]


def test_an_enterprise_with_both_roles_is_scored_on_both_lists_weighted_by_their_maxima():
    assert offline(BOTH, {**FULL_GEN, **dict.fromkeys(FULL_REC, 0)}, S).exact == 30
    checklist = (Item("g.a", GradedRole.GENERATOR, 40), Item("r.a", GradedRole.RECYCLER, 20))
    settings = Settings(checklist=checklist)
    # combined: 40 of 60 → 40 points; an average of the two lists' ratios would give 30
    assert offline(BOTH, {"g.a": 40, "r.a": 0}, settings).exact == 40
    assert offline([GradedRole.RECYCLER], {"r.a": 10}, settings).exact == 30


@pytest.mark.parametrize(
    "roles, marks, problem",
    [
        (GEN, {k: v for k, v in FULL_GEN.items() if k != "generator.reduction"}, Problem.UNSCORED),
        (GEN, {**FULL_GEN, **FULL_REC}, Problem.UNKNOWN_ITEM),
        (GEN, {**FULL_GEN, "generator.reduction": 16}, Problem.OUT_OF_RANGE),
        (GEN, {**FULL_GEN, "generator.reduction": -1}, Problem.OUT_OF_RANGE),
        (GEN, {**FULL_GEN, "generator.reduction": 7.5}, Problem.OUT_OF_RANGE),
        (GEN, {**FULL_GEN, "generator.reduction": "7"}, Problem.OUT_OF_RANGE),
        (GEN, {**FULL_GEN, "generator.reduction": True}, Problem.OUT_OF_RANGE),
        (frozenset(), {}, Problem.NO_CHECKLIST),
    ],
)
def test_offline_marks_are_checked(roles, marks, problem):
    with pytest.raises(ScoringError) as refused:
        offline(roles, marks, S)
    assert refused.value.problem is problem


@pytest.mark.parametrize(
    "total, grade",
    [(1000, "A"), (900, "A"), (899, "B"), (750, "B"), (749, "C"), (600, "C"), (599, "D"), (0, "D")],
)
def test_a_score_on_a_threshold_lands_in_the_higher_grade(total, grade):
    assert grade_of(total, S) is Grade(grade)


def test_thresholds_are_park_settings_and_may_be_fractional():
    settings = Settings(thresholds=(F(85), F(149, 2), F(60)))
    assert [grade_of(t, settings) for t in (850, 849, 745, 744)] == [
        Grade.A, Grade.B, Grade.B, Grade.C,
    ]  # fmt: skip


@pytest.mark.parametrize("mark, total, grade", [(1665, 900, Grade.A), (F(8324, 5), 899, Grade.B)])
def test_the_grade_follows_the_total_shown(mark, total, grade):
    # 1665/2000 of 60 is 49.95 exactly: shown 50.0, total 90.0, an A; 49.944 shows 49.9
    settings = Settings(checklist=(Item("g", GradedRole.GENERATOR, 2000),))
    result = evaluate(Evidence(GEN), {"g": mark}, settings)
    assert (result.total_tenths, result.grade) == (total, grade)


def test_tenths_round_half_up_without_float_drift():
    assert [tenths(x) for x in (F(1, 20), F(3, 20), F(1, 30), F(899, 10))] == [1, 2, 0, 899]
    assert tenths(F(1, 10) + F(2, 10)) == 3  # 0.1 + 0.2 in floats is 0.30000000000000004


def test_a_confirmed_serious_violation_forces_d_whatever_the_score():
    result = evaluate(Evidence(GEN, violation_ids=[3, 3, 1]), FULL_GEN, S)
    assert result.total_tenths == 1000 and result.grade is Grade.D and result.colour == "red"
    assert result.forced_by == (Ref("violation", 1), Ref("violation", 3))


def test_a_mixed_record_and_its_json_breakdown():
    evidence = Evidence(GEN, owed(ON, LATE), manifests=[ManifestFacts(5, receipt_late=True)])
    result = evaluate(evidence, {**FULL_GEN, "generator.storage_site": 0}, S)
    assert [p.tenths for p in result.parts] == [150, 190, 450] and result.total_tenths == 790
    assert (result.grade, result.colour) == (Grade.B, "blue")
    shown = json.loads(json.dumps(result.as_dict()))
    assert shown["total"] == "79.0" and shown["grade"] == "B" and shown["colour"] == "blue"
    assert [p["score"] for p in shown["parts"]] == ["15.0", "19.0", "45.0"]
    assert shown["parts"][0]["deductions"] == [
        {"reason": "late_filing", "points": "5.0", "subject": "HW49 2026-02",
         "rows": [{"table": "filing", "id": 11}]}
    ]  # fmt: skip
    assert shown["parts"][1]["deductions"][0]["rows"] == [{"table": "manifest", "id": 5}]


def test_grade_colours_follow_the_national_scale():
    assert COLOURS == {Grade.A: "green", Grade.B: "blue", Grade.C: "yellow", Grade.D: "red"}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"offline": 50}, "add up to 100"),
        ({"completeness": -5, "offline": 85}, "non-negative"),
        ({"completeness": 20.0}, "non-negative"),
        ({"late_credit": F(3, 2)}, "cannot earn more"),
        ({"deductions": {Reason.NEGATIVE_STOCK: 5}}, "deduction for"),
        ({"deductions": {**dict.fromkeys(Reason, 1), Reason.CORRECTION: -1}}, "non-negative"),
        ({"thresholds": (F(75), F(90), F(60))}, "must fall"),
        ({"thresholds": (F(101), F(90), F(60))}, "must fall"),
        ({"thresholds": (F(90), F(75), F(0))}, "must fall"),
        ({"checklist": (Item("x", GradedRole.GENERATOR, 5),) * 2}, "unique"),
        ({"checklist": (Item("x", GradedRole.GENERATOR, 0),)}, "positive maximum"),
    ],
)
def test_settings_are_validated(changes, message):
    with pytest.raises(ValueError, match=message):
        Settings(**changes)


def test_the_module_imports_no_flask_and_no_database():
    code = (
        "import sys, market.credit.scoring; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'flask_sqlalchemy', 'sqlalchemy')]; print(bad); assert not bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


TRANSPORTER = frozenset({GradedRole.TRANSPORTER})
FULL_TRA = {
    "transporter.vehicles": 20,
    "transporter.qualifications": 20,
    "transporter.on_time_pickup": 20,
}


def test_a_transporter_is_graded_on_its_own_checklist():
    assert offline(TRANSPORTER, FULL_TRA, S).exact == 60
    late_pickups = offline(TRANSPORTER, {**FULL_TRA, "transporter.on_time_pickup": 5}, S)
    assert late_pickups.exact == 60 - 15  # its 60 checklist points map one to one
    assert late_pickups.deductions[0].subject == "transporter.on_time_pickup"
    with pytest.raises(ScoringError) as refused:
        offline(TRANSPORTER, {**FULL_TRA, "generator.reduction": 15}, S)
    assert refused.value.problem is Problem.UNKNOWN_ITEM


def test_a_transporter_that_files_nothing_keeps_full_online_marks():
    result = evaluate(Evidence(TRANSPORTER), FULL_TRA, S)
    assert (result.total_tenths, result.grade, result.nothing_due) == (1000, Grade.A, True)


def test_parts_computed_apart_and_combined_grade_like_evaluate():
    from market.credit.scoring import combine, nothing_due

    evidence = Evidence(GEN, owed(LATE, MISSING, ON), violation_ids=[7])
    marks = {**FULL_GEN, "generator.reduction": 7}
    whole = evaluate(evidence, marks, S)
    parts = [completeness(evidence.owed, S), truthfulness(evidence, S),
             offline(evidence.roles, marks, S)]  # fmt: skip
    apart = combine(parts, evidence.violation_ids, nothing_due(evidence.owed), S)
    assert apart == whole and apart.grade is Grade.D and apart.forced_by == (Ref("violation", 7),)


def test_a_stored_part_comes_back_exact():
    from market.credit.scoring import part_from_dict, part_to_dict

    part = completeness(owed(LATE, ON, ON), S)  # 20/3 a filing: thirds, not tenths
    stored = json.loads(json.dumps(part_to_dict(part)))
    assert part_from_dict(stored) == part
    assert part_from_dict(stored).exact == F(50, 3)


# ---- warnings (预警) as evidence ----------------------------------------------------------


def _warned(*facts: WarningFacts, sizes=None) -> tuple:
    settings = Settings(deductions={**DEFAULT_DEDUCTIONS, **(sizes or {})})
    part = truthfulness(Evidence(GEN, warnings=facts), settings)
    return part, [(d.reason, d.points, d.refs, d.subject) for d in part.deductions]


def test_a_warning_costs_the_deduction_of_the_level_it_was_raised_at():
    part, found = _warned(WarningFacts(7, "stock_held", "high"),
                          WarningFacts(3, "over_capacity", "medium"),
                          WarningFacts(5, "generation_spike", "low"))  # fmt: skip
    assert found == [
        (Reason.WARNING_MEDIUM, 1, (Ref("warning", 3),), "over_capacity"),
        (Reason.WARNING_LOW, F(1, 2), (Ref("warning", 5),), "generation_spike"),
        (Reason.WARNING_HIGH, 2, (Ref("warning", 7),), "stock_held"),
    ]
    assert part.exact == 20 - F(7, 2) and part.tenths == 165


def test_a_warning_whose_cause_is_judged_elsewhere_costs_only_its_missed_answer_days():
    # the discrepancy itself is a truthfulness deduction of its manifest; the missing filing
    # one of completeness; a lot nobody bid on is no fault — but letting a day pass is.
    part, found = _warned(WarningFacts(1, "weight_discrepancy", "high"),
                          WarningFacts(2, "missing_filing", "medium"),
                          WarningFacts(3, "late_receipt", "low", overdue=2),
                          WarningFacts(4, "lot_no_bid", "low", overdue=1))  # fmt: skip
    assert [(r, p, refs) for r, p, refs, _s in found] == [
        (Reason.WARNING_OVERDUE, 1, (Ref("warning", 3),)),
        (Reason.WARNING_OVERDUE, 1, (Ref("warning", 3),)),
        (Reason.WARNING_OVERDUE, 1, (Ref("warning", 4),)),
    ]
    assert part.exact == 17


def test_warning_deductions_are_park_settings_and_never_take_the_part_below_zero():
    sizes = {Reason.WARNING_HIGH: F(3, 2), Reason.WARNING_OVERDUE: 0}
    part, found = _warned(WarningFacts(1, "stock_held", "high", overdue=3), sizes=sizes)
    assert [p for _r, p, _refs, _s in found] == [F(3, 2), 0, 0, 0]
    many = [WarningFacts(i, "over_capacity", "high", overdue=1) for i in range(1, 10)]
    assert _warned(*many)[0].exact == 0


def test_warning_facts_refuse_an_unknown_level_or_a_negative_count():
    with pytest.raises(ValueError):
        WarningFacts(1, "stock_held", "urgent")
    with pytest.raises(ValueError):
        WarningFacts(1, "stock_held", "low", overdue=-1)


def test_a_stored_part_with_warning_deductions_reads_back_exactly():
    part, _found = _warned(WarningFacts(9, "stock_held", "low", overdue=1))
    again = part_from_dict(json.loads(json.dumps(part_to_dict(part))))
    assert again == part and again.deductions[0].reason is Reason.WARNING_LOW
