"""Warnings on the database: the run raises once per cause, closes what closes by itself,
escalates overdue answers; the loop's steps, who may take them and what they refuse."""

import json
from datetime import timedelta

import pytest

from market import clock
from market.credit.files import Upload
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.manifests.models import Filing
from market.manifests.periods import parse as parse_period
from market.warnings import queries, services
from market.warnings.models import EarlyWarning, WarningEventRow, WarningFile
from market.warnings.rules import Cause, Level, RuleKey, Settings
from market.warnings.states import WarningStatus as S
from tests import factories
from tests import ledger_factories as lf

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


@pytest.fixture(autouse=True)
def evidence_dir(app, tmp_path):
    app.config["CREDIT_EVIDENCE_DIR"] = str(tmp_path / "files")
    yield
    app.config["CREDIT_EVIDENCE_DIR"] = ""


def park_id(world) -> int:
    return world.admin.admin_park_id


def stale_lot(world, days: int = 20):
    lot = factories.steel_lot(world.generator)
    lot.published_at = clock.now() - timedelta(days=days)
    db.session.commit()
    return lot


def raised(world, level: str = "low", enterprise=None, key: str = "x:1") -> EarlyWarning:
    """A warning raised straight from a cause (the rules are tested on their own)."""
    enterprise_id = (enterprise or world.generator).enterprise_id
    cause = Cause(
        RuleKey.WEIGHT_DISCREPANCY,
        enterprise_id,
        key,
        Level(level),
        {"manifest_id": 1, "declared_kg": 1000, "weighed_kg": 1300, "pct": 30.0},
    )
    row = services.raise_cause(park_id(world), cause, clock.today(), Settings())
    db.session.commit()
    return row  # fmt: skip


def events(row) -> list[str]:
    return list(
        db.session.execute(
            db.select(WarningEventRow.event).filter_by(warning_id=row.id)
            .order_by(WarningEventRow.id)
        ).scalars()
    )  # fmt: skip


# ---- the run -----------------------------------------------------------------------------


def test_a_cause_raises_one_warning_and_the_next_runs_raise_none(world):
    lot = stale_lot(world)
    first = services.run_park(park_id(world))
    db.session.commit()
    assert first.by_rule["lot_no_bid"] == 1
    assert services.run_park(park_id(world)).raised == 0
    (row,) = db.session.execute(db.select(EarlyWarning)).scalars()
    assert (row.rule, row.cause_key, row.status, row.level) == ("lot_no_bid", f"lot:{lot.id}",
                                                                S.SENT, "low")  # fmt: skip
    assert row.enterprise_id == world.generator.enterprise_id
    assert row.due_on is not None and row.due_on > clock.today()
    assert events(row) == ["raise"]


def test_a_warning_closes_by_itself_when_its_cause_is_gone_where_the_rule_says_so(world):
    lot = stale_lot(world)
    services.run_park(park_id(world))
    db.session.commit()
    factories.bid(factories.bidder(), lot)
    db.session.commit()
    counts = services.run_park(park_id(world))
    db.session.commit()
    row = db.session.execute(db.select(EarlyWarning)).scalar_one()
    assert counts.auto_closed == 1 and row.status == S.AUTO_CLOSED
    assert row.closed_on == clock.today() and events(row) == ["raise", "auto_close"]


def test_a_fact_is_never_closed_by_itself_nor_raised_again_once_closed(world):
    row = raised(world, "high")
    services.record_outcome(world.admin, row.id, "约谈，已整改")
    db.session.commit()
    assert services.run_park(park_id(world)).auto_closed == 0  # not a rule that ran
    again = raised(world, "high")
    assert again is None  # the cause key was used: raised once, ever


def test_a_switched_off_rule_raises_nothing(world):
    stale_lot(world)
    services.update_settings(world.admin, park_id(world), {"lot_no_bid_on": False})
    db.session.commit()
    assert services.run_park(park_id(world)).raised == 0


def test_an_open_warning_of_a_switched_off_rule_stays_open(world):
    stale_lot(world)
    services.run_park(park_id(world))
    services.update_settings(world.admin, park_id(world), {"lot_no_bid_on": False})
    db.session.commit()
    services.run_park(park_id(world))
    assert db.session.execute(db.select(EarlyWarning.status)).scalar_one() == S.SENT


def test_an_overdue_answer_escalates_one_level_each_time(world):
    row = raised(world, "low")
    row.due_on = clock.today() - timedelta(days=1)
    db.session.commit()
    assert services.escalate_overdue(park_id(world), clock.today()) == 1
    db.session.refresh(row)
    assert (row.status, row.level, row.due_on) == (S.RAISED, "medium", None)
    services.forward(world.admin, row.id)
    row.due_on = clock.today() - timedelta(days=1)
    db.session.commit()
    services.escalate_overdue(park_id(world), clock.today())
    db.session.refresh(row)
    assert (row.status, row.level) == (S.RAISED, "high")
    assert events(row) == ["raise", "escalate", "forward", "escalate"]


def test_an_answer_due_today_is_not_overdue(world):
    row = raised(world, "low")
    row.due_on = clock.today()
    db.session.commit()
    assert services.escalate_overdue(park_id(world), clock.today()) == 0


def test_the_run_feeds_every_rule_from_the_rows(world):
    """One park with a cause for each rule fed from manifests, filings, ledgers, licences."""
    today = clock.today()
    recycler = factories.bidder()
    deal = lf.deal(world.generator, recycler)
    old = parse_period((today - timedelta(days=400)).strftime("%Y-%m"))
    code = lf.code("ISW-17-01-01", park_id(world))
    db.session.add(
        Filing(
            enterprise_id=world.generator.enterprise_id,
            waste_code_id=code.id,
            period_kind="monthly",
            period_key=old.key,
            period_start=old.start,
            period_end=old.end,
            generated_kg=3_000,
            filed_on=old.end,
            filed_by_id=world.generator.id,
        )
    )  # held since: > 365 days
    m = lf.closed_manifest(deal, 1_000, today - timedelta(days=2), today - timedelta(days=1),
                           world.generator)  # fmt: skip
    m.declared_kg = 1_300  # weighed 1 000 of 1 300: beyond 20 %
    lic = recycler.enterprise.licences[0]
    lic.valid_from, lic.valid_until = today - timedelta(days=800), today - timedelta(days=3)
    db.session.commit()
    counts = services.run_park(park_id(world))
    db.session.commit()
    found = {r.rule: r for r in db.session.execute(db.select(EarlyWarning)).scalars()}
    assert found["weight_discrepancy"].level == "high"
    assert found["weight_discrepancy"].enterprise_id == world.generator.enterprise_id
    assert found["expired_licence"].enterprise_id == recycler.enterprise_id
    assert found["stock_held"].enterprise_id == world.generator.enterprise_id
    assert found["stock_held"].status == S.RAISED  # medium: with the administrator
    assert counts.raised == len(found)


def test_the_run_finds_missing_filings_and_closes_them_once_filed(world):
    today = clock.today()
    enterprise = world.generator.enterprise
    enterprise.created_at = clock.now() - timedelta(days=120)
    lf.tier(enterprise, "monthly", today - timedelta(days=120))
    factories.steel_lot(world.generator)  # the code it deals in
    db.session.commit()
    services.run_park(park_id(world))
    db.session.commit()
    missing = list(db.session.execute(
        db.select(EarlyWarning).filter_by(rule="missing_filing")).scalars())  # fmt: skip
    assert missing and all(w.status == S.SENT for w in missing)
    first = missing[0]
    facts = json.loads(first.facts)
    code_id = int(first.cause_key.split(":")[1])
    period = parse_period(facts["period"])
    db.session.add(Filing(enterprise_id=enterprise.id, waste_code_id=code_id,
                          period_kind="monthly", period_key=period.key,
                          period_start=period.start, period_end=period.end, generated_kg=10,
                          filed_on=today, filed_by_id=world.generator.id))  # fmt: skip
    db.session.commit()
    services.run_park(park_id(world))
    db.session.commit()
    db.session.refresh(first)
    assert first.status == S.AUTO_CLOSED


def test_over_capacity_from_the_years_receipts(world):
    today = clock.today()
    recycler = factories.bidder()
    recycler.enterprise.licences[0].capacity_kg_per_year = 1_000
    deal = lf.deal(world.generator, recycler)
    lf.closed_manifest(deal, 1_001, today, today, world.generator)
    db.session.commit()
    services.run_park(park_id(world))
    db.session.commit()
    row = db.session.execute(db.select(EarlyWarning).filter_by(rule="over_capacity")).scalar_one()
    assert (row.level, row.cause_key) == ("high", f"capacity:{today.year}")


# ---- the loop ----------------------------------------------------------------------------


def test_the_enterprise_answers_a_low_warning_once(world):
    row = raised(world, "low")
    services.respond(world.generator, row.id, "过磅单据有误，已更正", [Upload("a.png", PNG)])
    db.session.commit()
    assert (row.status, row.closed_on) == (S.CLOSED, clock.today())
    assert len(row.files) == 1 and row.files[0].mime == "image/png"
    with pytest.raises(Conflict):
        services.respond(world.generator, row.id, "again")


def test_nobody_else_answers_it(world):
    row = raised(world, "low")
    for someone in (world.other, world.recycler):
        with pytest.raises(NotFound):
            services.respond(someone, row.id, "not mine")
    with pytest.raises(NotFound):
        services.respond(world.admin, row.id, "an administrator does not answer")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (Upload("x.exe", b"MZ\x90\x00"), "PNG"),
        (Upload("empty.png", b""), "文件为空"),
    ],
)
def test_a_refused_file_changes_nothing(world, upload, message):
    row = raised(world, "low")
    with pytest.raises(DomainError, match=message) as refused:
        services.respond(world.generator, row.id, "答复", [Upload("ok.png", PNG), upload])
    assert refused.value.status == 400 and refused.value.field == "files"
    db.session.rollback()
    db.session.refresh(row)
    assert row.status == S.SENT and row.answer == "" and events(row) == ["raise"]
    assert db.session.execute(db.select(WarningFile)).first() is None


def test_a_file_over_the_size_limit_is_refused(world, app):
    limit = app.config["CREDIT_EVIDENCE_MAX_BYTES"]
    app.config["CREDIT_EVIDENCE_MAX_BYTES"] = 100
    try:
        row = raised(world, "low")
        with pytest.raises(DomainError, match="MB"):
            services.respond(world.generator, row.id, "答复", [Upload("big.png", PNG + b"0" * 100)])
    finally:
        app.config["CREDIT_EVIDENCE_MAX_BYTES"] = limit  # the app is shared by the tests


def test_medium_is_forwarded_rectified_returned_and_accepted(world):
    row = raised(world, "medium")
    assert row.status == S.RAISED and row.due_on is None
    with pytest.raises(Conflict):
        services.respond(world.generator, row.id, "too early")
    services.forward(world.admin, row.id, "请整改并上传照片")
    assert row.status == S.FORWARDED and row.due_on > clock.today()
    services.respond(world.generator, row.id, "已整改", [Upload("p.pdf", b"%PDF-1.4\n")])
    assert row.status == S.RECTIFIED
    services.return_(world.admin, row.id, "照片不清楚")
    assert row.status == S.FORWARDED
    services.respond(world.generator, row.id, "重新上传", [Upload("q.png", PNG)])
    services.accept(world.admin, row.id)
    db.session.commit()
    assert row.status == S.CLOSED and len(row.files) == 2
    assert events(row) == ["raise", "forward", "rectify", "return", "rectify", "accept"]


def test_a_high_warning_needs_its_outcome_recorded_not_forwarded(world):
    row = raised(world, "high")
    with pytest.raises(Conflict):
        services.forward(world.admin, row.id)
    with pytest.raises(DomainError):
        services.record_outcome(world.admin, row.id, "   ")
    services.record_outcome(world.admin, row.id, "现场核查，罚款整改")
    db.session.commit()
    assert (row.status, row.outcome) == (S.CLOSED, "现场核查，罚款整改")


def test_another_parks_administrator_cannot_touch_it(world):
    row = raised(world, "high")
    for step in (services.forward, services.accept, services.record_outcome):
        with pytest.raises(NotFound):
            step(world.admin_elsewhere, row.id, "x")
    with pytest.raises(NotFound):
        services.return_(world.admin_elsewhere, row.id, "x")


def test_accepting_what_was_not_rectified_is_refused(world):
    row = raised(world, "medium")
    with pytest.raises(Conflict):
        services.accept(world.admin, row.id)
    with pytest.raises(Conflict):
        services.return_(world.admin, row.id, "nothing to return")


# ---- reading -----------------------------------------------------------------------------


def test_closure_rate_counts_closed_of_raised_in_the_period(world):
    a, b, c = (raised(world, "high", key=f"k:{i}") for i in range(3))
    services.record_outcome(world.admin, a.id, "done")
    db.session.commit()
    rate = queries.closure_rate(park_id(world))
    assert (rate.raised, rate.closed, rate.percent) == (3, 1, "33.3%")
    tomorrow = clock.today() + timedelta(days=1)
    assert queries.closure_rate(park_id(world), tomorrow).rate is None
    assert queries.closure_rate(world.admin_elsewhere.admin_park_id).raised == 0


def test_counts_of_what_waits_on_whom(world):
    raised(world, "low", key="a")
    raised(world, "medium", key="b")
    raised(world, "low", enterprise=world.other, key="c")
    assert queries.waiting_count(world.generator) == 1
    assert queries.waiting_count(world.other) == 1
    assert queries.waiting_count(world.admin) == 1
    assert queries.waiting_count(world.admin_elsewhere) == 0


def test_settings_are_checked_before_any_is_kept(world):
    with pytest.raises(DomainError) as refused:
        services.update_settings(
            world.admin, park_id(world), {"discrepancy_low_pct": 30, "discrepancy_high_pct": 20}
        )
    assert refused.value.field == "discrepancy_high_pct"  # fmt: skip
    with pytest.raises(Forbidden):
        services.update_settings(world.admin_elsewhere, park_id(world), {"storage_days": 30})
    services.update_settings(world.admin, park_id(world), {"storage_days": 30})
    assert services.settings_for(park_id(world)).storage_days == 30
    assert services.settings_for(world.admin_elsewhere.admin_park_id).storage_days == 365


# ---- right after a receipt ---------------------------------------------------------------


def test_a_receipt_beyond_the_tolerance_raises_its_warning_at_once(world):
    from tests import manifest_flow

    trip = manifest_flow.trip(world)
    manifest = trip.closed(5_000, 6_500, discrepancy_note="磅秤校准后复称")
    row = db.session.execute(db.select(EarlyWarning)).scalar_one()
    assert (row.rule, row.level, row.cause_key) == ("weight_discrepancy", "high",
                                                    f"manifest:{manifest.id}")  # fmt: skip
    assert row.enterprise_id == world.generator.enterprise_id
    assert services.run_park(park_id(world)).by_rule["weight_discrepancy"] == 0


def test_signing_a_late_receipt_closes_its_warning(world):
    from tests import manifest_flow

    trip = manifest_flow.trip(world)
    manifest = trip.pick_up(trip.start(5_000))
    manifest.picked_up_at = clock.now() - timedelta(days=20)
    db.session.commit()
    services.run_park(trip.recycler.enterprise.park_id)
    db.session.commit()
    row = db.session.execute(db.select(EarlyWarning).filter_by(rule="late_receipt")).scalar_one()
    assert row.enterprise_id == trip.recycler.enterprise_id and row.status == S.SENT
    trip.receive(manifest)
    db.session.refresh(row)
    assert row.status == S.AUTO_CLOSED


# ---- the scheduled command ---------------------------------------------------------------


def test_flask_warnings_run_raises_once_and_says_what_it_did(app, world):
    stale_lot(world)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["warnings", "run"])
    assert first.exit_code == 0 and first.output.startswith("1 warnings raised"), first.output
    again = runner.invoke(args=["warnings", "run", "--park", "north"])
    assert again.exit_code == 0 and again.output.startswith("0 warnings raised"), again.output
    assert runner.invoke(args=["warnings", "run", "--park", "nowhere"]).exit_code != 0
    assert db.session.execute(db.select(db.func.count(EarlyWarning.id))).scalar() == 1


def test_the_scheduler_runs_the_warning_rules():
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "scheduler.sh"
    assert '"warnings run"' in script.read_text(encoding="utf-8")


def test_a_warning_recorded_as_not_closing_by_itself_stays_open(world):
    lot = stale_lot(world)
    services.run_park(park_id(world))
    row = db.session.execute(db.select(EarlyWarning)).scalar_one()
    row.auto_close = False
    factories.bid(factories.bidder(), lot)
    db.session.commit()
    assert services.run_park(park_id(world)).auto_closed == 0
    assert row.status == S.SENT
