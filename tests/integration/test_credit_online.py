"""The online part computed from the enterprise's own filings and manifests, each
deduction traced to the rows behind it (hand-computed figures)."""

from datetime import date

import pytest

from market import clock
from market.credit import queries, services
from market.extensions import db
from market.manifests.filings import AmendInput, FilingInput, amend_filing, file_generation
from tests import credit_flow as cf
from tests import factories
from tests import ledger_factories as lf

D = date
STEEL = "ISW-17-01-01"


@pytest.fixture()
def trade(world, monkeypatch):
    """Monthly filings from 2026-01; today 2026-04-20. January (500 kg) and February
    (200 kg) filed today, late; March (due April 15) never filed; January corrected.
    Shipped: January 20 300 kg (weighed off the declared weight), March 5 600 kg: March
    moved 600 kg out of 400 held. The recycler signed the March receipt two days late."""
    factories.demand(world.recycler)
    deal = lf.deal(world.generator, world.recycler)
    lf.tier(world.generator.enterprise, "monthly", D(2026, 1, 1))
    jan = lf.closed_manifest(deal, 300, D(2026, 1, 20), D(2026, 1, 22), world.generator)
    mar = lf.closed_manifest(deal, 600, D(2026, 3, 5), D(2026, 3, 12), world.generator)
    jan.discrepant, jan.receipt_due_on = True, D(2026, 1, 27)
    mar.receipt_due_on = D(2026, 3, 10)
    db.session.commit()
    monkeypatch.setattr(clock, "now", lambda: lf.at(D(2026, 4, 20)))
    filed = [file_generation(world.generator, FilingInput(STEEL, key, kg))
             for key, kg in (("2026-01", 500), ("2026-02", 200))]  # fmt: skip
    amend_filing(world.generator, filed[0].id, AmendInput(500, "称重更正", note="更正"))
    db.session.commit()
    world.jan, world.mar, world.filed = jan, mar, filed
    return world


def deductions(part):
    return [(d["reason"], d["points"], d["subject"], d["rows"]) for d in part["deductions"]]


def test_the_generators_online_part_from_its_filings_and_manifests(trade):
    evaluation = services.open_evaluation(trade.admin, trade.generator.enterprise_id)
    online = queries.online_part(evaluation)
    completeness, truthfulness = online["parts"]
    jan, feb = (f.id for f in trade.filed)
    assert deductions(completeness) == [
        ("late_filing", "10/3", f"{STEEL} 2026-01", [["filing", jan]]),
        ("late_filing", "10/3", f"{STEEL} 2026-02", [["filing", feb]]),
        ("missing_filing", "20/3", f"{STEEL} 2026-03", []),
    ]
    assert completeness["exact"] == "20/3"  # 20 − 10/3 − 10/3 − 20/3
    assert deductions(truthfulness) == [
        ("negative_stock", "5", f"{STEEL} 2026-03", [["manifest", trade.mar.id]]),
        ("weight_discrepancy", "2", "", [["manifest", trade.jan.id]]),
        ("correction", "1", "", [["filing", jan]]),
    ]
    assert truthfulness["exact"] == "12"
    figures = online["figures"]
    assert {state: len(rows) for state, rows in figures["owed"].items()} == {
        "late": 2,
        "missing": 1,
    }
    assert online["notes"] == {"negative_stock_checked": True}
    cf.mark_all(trade.admin, evaluation, share=1)
    services.submit_evaluation(trade.admin, evaluation.id)
    assert (evaluation.total_tenths, evaluation.grade) == (787, "B")  # 6.7 + 12.0 + 60.0


def test_the_receiver_answers_for_its_late_receipts_not_for_the_generators_filings(trade):
    evaluation = services.open_evaluation(trade.admin, trade.recycler.enterprise_id)
    completeness, truthfulness = queries.online_part(evaluation)["parts"]
    assert completeness["deductions"] == [] and queries.online_part(evaluation)["nothing_due"]
    assert deductions(truthfulness) == [("late_receipt", "1", "", [["manifest", trade.mar.id]])]


def test_a_refresh_reads_filings_made_since_the_evaluation_opened(trade):
    evaluation = services.open_evaluation(trade.admin, trade.generator.enterprise_id)
    file_generation(trade.generator, FilingInput(STEEL, "2026-03", 900))
    services.refresh_online(trade.admin, evaluation.id)
    completeness, truthfulness = queries.online_part(evaluation)["parts"]
    assert [d["reason"] for d in completeness["deductions"]] == ["late_filing"] * 3
    assert "negative_stock" not in [d["reason"] for d in truthfulness["deductions"]]
    assert ("refresh", "draft", "draft") in cf.events(evaluation)


def test_a_window_before_any_filing_was_due_gives_full_completeness(trade):
    evaluation = services.open_evaluation(
        trade.admin, trade.generator.enterprise_id, D(2025, 6, 1), D(2025, 12, 31)
    )
    online = queries.online_part(evaluation)
    assert online["nothing_due"] and online["parts"][0]["exact"] == "20"
