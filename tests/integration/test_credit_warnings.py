"""Warnings feed the credit grading's evidence: the enterprise's warnings raised in the
window, by the level they were raised at, and the answer days it let pass."""

from datetime import timedelta

import pytest

from market import clock
from market.credit import queries, services
from market.credit import settings as credit_settings
from market.extensions import db
from market.warnings import services as warnings
from market.warnings.rules import Cause, Level, RuleKey, Settings
from tests.conftest import login


def _raise(world, rule, level, key, days_ago, enterprise_id=None, facts=None):
    cause = Cause(rule, enterprise_id or world.generator.enterprise_id, key, Level(level),
                  facts or {"code": "HW08", "kg": 1000, "days": 400, "limit": 365})  # fmt: skip
    today = clock.today() - timedelta(days=days_ago)
    return warnings.raise_cause(world.admin.admin_park_id, cause, today, Settings())


@pytest.fixture()
def warned(world):
    """For the generator, in the window: a high stock warning (still with the administrator),
    a medium capacity one (closed), a low lot-without-bid one and a low weight one, both
    unanswered past their day (so escalated). Outside: one raised 400 days ago, and one of
    another enterprise."""
    rows = {
        "stock": _raise(world, RuleKey.STOCK_HELD, "high", "s", 30),
        "capacity": _raise(world, RuleKey.OVER_CAPACITY, "medium", "c", 30),
        "lot": _raise(world, RuleKey.LOT_NO_BID, "low", "l", 30),
        "weight": _raise(world, RuleKey.WEIGHT_DISCREPANCY, "low", "w", 30),
        "old": _raise(world, RuleKey.STOCK_HELD, "high", "old", 400),
        "other": _raise(world, RuleKey.STOCK_HELD, "high", "x", 30, world.recycler.enterprise_id),
    }
    warnings.record_outcome(world.admin, rows["capacity"].id, "已核减")
    assert warnings.escalate_overdue(world.admin.admin_park_id, clock.today()) == 2
    db.session.commit()
    return rows


def _deductions(evaluation):
    truthfulness = queries.online_part(evaluation)["parts"][1]
    return [(d["reason"], d["points"], d["subject"], d["rows"]) for d in truthfulness["deductions"]
            if d["reason"].startswith("warning")]  # fmt: skip


def test_the_window_s_warnings_are_scored_deductions_with_their_rows(world, warned):
    evaluation = services.open_evaluation(world.admin, world.generator.enterprise_id)
    w = {k: v.id for k, v in warned.items()}
    assert sorted(_deductions(evaluation), key=lambda d: d[3]) == sorted([
        ("warning_high", "2", "stock_held", [["warning", w["stock"]]]),
        ("warning_medium", "1", "over_capacity", [["warning", w["capacity"]]]),
        # the lot and the weight warning cost nothing when raised, but their missed days do,
        # and an escalation does not raise the level they are scored at
        ("warning_overdue", "1", "lot_no_bid", [["warning", w["lot"]]]),
        ("warning_overdue", "1", "weight_discrepancy", [["warning", w["weight"]]]),
    ], key=lambda d: d[3])  # fmt: skip
    figures = queries.online_part(evaluation)["figures"]["warnings"]
    assert figures["total"] == 4
    assert figures["by_level"] == {"high": 1, "medium": 1, "low": 2}
    assert sorted(figures["open"]) == sorted([w["stock"], w["lot"], w["weight"]])
    assert sorted(figures["overdue"]) == sorted([w["lot"], w["weight"]])


def test_an_answer_overdue_at_the_window_end_counts_before_the_run_escalates_it(world):
    late = _raise(world, RuleKey.GENERATION_SPIKE, "low", "g", 30)
    db.session.commit()
    evaluation = services.open_evaluation(world.admin, world.generator.enterprise_id)
    assert _deductions(evaluation) == [
        ("warning_low", "1/2", "generation_spike", [["warning", late.id]]),
        ("warning_overdue", "1", "generation_spike", [["warning", late.id]]),
    ]


def test_the_sizes_are_the_park_s_settings(world, warned):
    sizes = {"warning_high_tenths": 35, "warning_overdue_tenths": 0}
    credit_settings.update_settings(world.admin, world.admin.admin_park_id, sizes)
    evaluation = services.open_evaluation(world.admin, world.generator.enterprise_id)
    points = {d[2]: d[1] for d in _deductions(evaluation)}
    assert points["stock_held"] == "7/2" and points["lot_no_bid"] == "0"


def test_an_evaluation_stored_before_the_warning_settings_still_computes(world, warned):
    import json

    evaluation = services.open_evaluation(world.admin, world.generator.enterprise_id)
    stored = json.loads(evaluation.settings)
    for name in credit_settings.LATER_DEFAULTS:
        stored.pop(name)
    evaluation.settings = json.dumps(stored)
    services.refresh_online(world.admin, evaluation.id)
    assert ("warning_high", "2") in {(d[0], d[1]) for d in _deductions(evaluation)}


def test_the_grading_page_shows_the_warnings_behind_the_score(client, world, warned):
    evaluation = services.open_evaluation(world.admin, world.generator.enterprise_id)
    db.session.commit()
    login(client, world.admin)
    html = client.get(f"/credit/evaluations/{evaluation.id}").get_data(as_text=True)
    assert 'id="warning-evidence"' in html
    assert f'href="/warnings/{warned["stock"].id}"' in html
    assert f'href="/warnings/{warned["other"].id}"' not in html
    assert f'href="/warnings/{warned["old"].id}"' not in html
