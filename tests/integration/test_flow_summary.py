"""The park dashboard's monthly flow summary: kept current by the manifest services, it
equals the summary rebuilt from the manifests after any sequence of events; the dashboard
reads it for whole months and the manifests for the rest."""

import importlib.util
from datetime import date
from pathlib import Path

from market.accounts import team
from market.admin.dashboard import plan
from market.admin.periods import Period
from market.extensions import db
from market.manifests import flows
from market.manifests import services as svc
from tests.manifest_flow import trip


def rebuilt() -> dict:
    """The summary rebuilt from the manifests (then the incremental one put back)."""
    db.session.commit()
    flows.rebuild()
    out = flows.snapshot()
    db.session.rollback()
    return out


def totals(summary: dict) -> tuple:
    return tuple(sum(counts[i] for counts in summary.values()) for i in range(4))


def assert_current() -> dict:
    incremental = flows.snapshot()
    assert incremental == rebuilt()
    return incremental


def test_the_incremental_summary_equals_the_rebuilt_one_after_mixed_events(world):
    a, b = trip(world, quantity="40"), trip(world, quantity="40")
    full = a.closed(5_000, 5_000)  # received in full, utilised
    assert totals(assert_current()) == (1, 1, 1, 5_000)
    part = a.receive(a.pick_up(a.start(6_000)), 4_000, rejected_kg=2_000,
                     rejection_reason="含杂质", rejection_goes_to="generator",
                     treatment="dispose", treatment_method="填埋")  # fmt: skip
    assert totals(assert_current()) == (2, 2, 2, 9_000)
    refused = b.pick_up(b.start(3_000))
    svc.reject_manifest(b.recycler, refused.id, svc.RejectInput("不符合", "generator"))
    db.session.commit()
    assert totals(assert_current()) == (3, 2, 2, 9_000)  # started, never received
    withdrawn = b.start(2_000)
    assert totals(assert_current()) == (4, 2, 2, 9_000)
    svc.cancel_manifest(b.generator, withdrawn.id, "计划取消")
    db.session.commit()
    assert totals(assert_current()) == (3, 2, 2, 9_000)
    b.pick_up(b.start(1_000))  # in transit: started only
    assert totals(assert_current()) == (4, 2, 2, 9_000)
    svc.correct_manifest(a.recycler, full.id, svc.CorrectionInput("复磅", received_kg=4_900))
    db.session.commit()
    assert totals(assert_current()) == (4, 2, 2, 8_900)
    svc.correct_manifest(a.recycler, part.id, svc.CorrectionInput(
        "改为利用", treatment="utilise", treatment_method="再生利用"))  # fmt: skip
    db.session.commit()
    summary = assert_current()
    by_treatment = {k[5]: v for k, v in summary.items() if v[2]}
    assert by_treatment == {"utilise": (0, 0, 2, 8_900)}  # both now utilised, one row
    svc.correct_manifest(world.transporter, full.id, svc.CorrectionInput("车牌", plate="京B12345"))
    db.session.commit()
    assert assert_current() == summary  # a plate changes no figure


def test_a_generators_new_industry_moves_its_rows(world):
    t = trip(world)
    t.closed(5_000, 5_000)
    generator = world.generator
    generator.is_enterprise_admin = True
    old = generator.enterprise.industry
    team.edit_company(generator, team.CompanyInput(
        contact_name="王工", contact_phone="13800000000", contact_email="",
        address="经开区1号", industry=old + "（新）"))  # fmt: skip
    db.session.commit()
    summary = assert_current()
    assert {k[2] for k in summary} == {old + "（新）"}


def test_rebuild_command_checks_and_repairs(app, world):
    t = trip(world)
    t.closed(5_000, 5_000)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["dashboard", "rebuild", "--check"]).exit_code == 0
    db.session.execute(
        db.text("UPDATE park_flow_summary SET received_kg = received_kg + 1 WHERE received > 0")
    )
    db.session.commit()
    result = runner.invoke(args=["dashboard", "rebuild", "--check"])
    assert result.exit_code != 0 and "1 summary rows differ" in result.output
    result = runner.invoke(args=["dashboard", "rebuild"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert runner.invoke(args=["dashboard", "rebuild", "--check"]).exit_code == 0


def test_the_plan_reads_whole_months_from_the_summary():
    today = date(2026, 11, 17)
    year = plan(Period("year", date(2026, 1, 1), today), today)
    # November less its days to come (no manifest is received in the future)
    assert (year.first_month, year.last_month) == ("2026-01", "2026-11")
    assert [sign for sign, *_ in year.ranges] == [-1]
    span = plan(Period("custom", date(2026, 8, 10), date(2026, 10, 3)), today)
    assert (span.first_month, span.last_month) == ("2026-08", "2026-09")  # 9 days out < 22 in
    assert [sign for sign, *_ in span.ranges] == [-1, 1]  # August's 1st–9th; October's 1st–3rd
    inside = plan(Period("custom", date(2026, 10, 12), date(2026, 10, 14)), today)
    assert (inside.first_month, inside.ranges[0][0]) == (None, 1)


def test_the_migrations_backfill_equals_the_rebuild(world):
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0019_park_flow_summary.py"
    spec = importlib.util.spec_from_file_location("migration_0017", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    a, b = trip(world, quantity="40"), trip(world, quantity="40")
    a.closed(5_000, 4_000, discrepancy_note="少")
    b.pick_up(b.start(3_000))
    rebuilt_summary = assert_current()
    db.session.execute(db.text("DELETE FROM park_flow_summary"))
    db.session.execute(db.text(migration.backfill(db.engine.dialect.name)))
    assert flows.snapshot() == rebuilt_summary
    db.session.rollback()


def test_differences_wait_for_the_commit_and_a_rollback_drops_them(world):
    """The services' differences are written just before the transaction commits (so the
    shared summary row is locked only while it commits); rolled back, they vanish with
    the manifest, and a savepoint rolled back drops only its own."""
    a = trip(world, quantity="40")
    a.closed(5_000, 5_000)
    before = totals(assert_current())

    def start(kg):
        data = svc.StartInput(declared_kg=kg, transporter_id=a.carrier_id())
        return svc.start_manifest(a.generator, a.deal.id, data)

    start(2_000)  # started, not committed
    assert db.session.info.get(flows._PENDING)  # waiting for the commit
    db.session.rollback()
    assert not db.session.info.get(flows._PENDING)
    assert totals(assert_current()) == before

    with db.session.begin_nested():
        start(1_000)
    try:
        with db.session.begin_nested():
            start(3_000)
            assert len(db.session.info[flows._PENDING]) == 1  # the released one was written
            raise RuntimeError("refused")
    except RuntimeError:
        pass
    assert not db.session.info.get(flows._PENDING)
    db.session.commit()
    assert totals(assert_current()) == (before[0] + 1, *before[1:])
