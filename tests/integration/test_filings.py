"""Filing services: who files what and when, duplicates, corrections, tiers, filing status."""

from datetime import date

import pytest
from flask_babel import force_locale

from market import clock
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.manifests import filings
from market.manifests.filings import AmendInput, FilingInput
from market.manifests.models import Filing, FilingAmendment, FilingTier, ParkManifestSettings
from market.manifests.periods import FilingState
from tests import factories
from tests import ledger_factories as lf

D = date
STEEL = "ISW-17-01-01"


@pytest.fixture(autouse=True)
def english(ctx):
    """The refusals are read in English here; the pages' tests read them in Chinese."""
    with force_locale("en"):
        yield


@pytest.fixture()
def on(monkeypatch):
    """Set the business day: every clock.today() in the services follows clock.now()."""

    def set_day(day: date):
        monkeypatch.setattr(clock, "now", lambda: lf.at(day))

    return set_day


@pytest.fixture()
def monthly(world, on):
    lf.tier(world.generator.enterprise, "monthly", D(2026, 1, 1))
    db.session.commit()
    on(D(2026, 4, 20))
    return world


def count(model=Filing) -> int:
    return db.session.execute(db.select(db.func.count(model.id))).scalar()


def test_a_generator_files_an_ended_period_of_its_tier(monthly):
    filing = filings.file_generation(
        monthly.generator, FilingInput(STEEL, "2026-03", 1200, stock_kg=300, note=" 冲压线 ")
    )
    assert (filing.period_kind, filing.period_key) == ("monthly", "2026-03")
    assert (filing.period_start, filing.period_end) == (D(2026, 3, 1), D(2026, 3, 31))
    assert (filing.generated_kg, filing.stock_kg, filing.note) == (1200, 300, "冲压线")
    assert filing.filed_on == D(2026, 4, 20) and filing.version == 1


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("2026-04", "has not ended"),  # the running month
        ("2026-05", "has not ended"),
        ("2026-Q1", "monthly"),  # a quarter while the tier is monthly
        ("2026-13", "01 to 12"),
        ("2026-W54", "no such week"),
        ("march", "2026-W48"),
        ("2025-12", "before your filing obligations began"),
    ],
)
def test_a_period_that_cannot_be_filed_is_refused_with_the_reason(monthly, key, words):
    with pytest.raises(DomainError) as refused:
        filings.file_generation(monthly.generator, FilingInput(STEEL, key, 10))
    assert refused.value.status == 400 and refused.value.field == "period_key"
    assert words in refused.value.message
    assert count() == 0


def test_a_duplicate_period_is_a_conflict_that_points_to_the_correction(monthly):
    filings.file_generation(monthly.generator, FilingInput(STEEL, "2026-03", 10))
    with pytest.raises(Conflict) as refused:
        filings.file_generation(monthly.generator, FilingInput(STEEL.lower(), " 2026-03 ", 99))
    assert "already filed" in refused.value.message and "amend" in refused.value.message
    assert count() == 1
    assert db.session.execute(db.select(Filing.generated_kg)).scalar() == 10


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("generated_kg", FilingInput(STEEL, "2026-03", -1)),
        ("generated_kg", FilingInput(STEEL, "2026-03", True)),
        ("generated_kg", FilingInput(STEEL, "2026-03", 10_000_000_001)),
        ("stock_kg", FilingInput(STEEL, "2026-03", 5, stock_kg=-5)),
        ("note", FilingInput(STEEL, "2026-03", 5, note="长" * 2001)),
        ("waste_code", FilingInput("999-999-99", "2026-03", 5)),
        ("waste_code", FilingInput("", "2026-03", 5)),
    ],
)
def test_bad_values_are_refused_on_their_field(monthly, field, data):
    with pytest.raises(DomainError) as refused:
        filings.file_generation(monthly.generator, data)
    assert refused.value.field == field and count() == 0


@pytest.mark.parametrize("who", ["recycler", "transporter", "admin"])
def test_only_generators_file(monthly, who):
    with pytest.raises(Forbidden):
        filings.file_generation(getattr(monthly, who), FilingInput(STEEL, "2026-03", 5))


def test_a_correction_keeps_the_old_values_and_the_first_filing_day(monthly, on):
    filing = filings.file_generation(monthly.generator, FilingInput(STEEL, "2026-03", 100))
    on(D(2026, 5, 2))
    filings.amend_filing(monthly.generator, filing.id, AmendInput(140, "漏记一批", stock_kg=20))
    assert (filing.generated_kg, filing.stock_kg, filing.version) == (140, 20, 2)
    assert filing.filed_on == D(2026, 4, 20)
    old = db.session.execute(db.select(FilingAmendment)).scalar_one()
    assert (old.version, old.old_generated_kg, old.old_stock_kg, old.reason) == (
        2,
        100,
        None,
        "漏记一批",
    )
    assert old.on == D(2026, 5, 2) and old.by_id == monthly.generator.id


def test_a_correction_needs_a_reason_a_change_and_the_own_enterprise(monthly):
    filing = filings.file_generation(monthly.generator, FilingInput(STEEL, "2026-03", 100))
    with pytest.raises(DomainError, match="Say why"):
        filings.amend_filing(monthly.generator, filing.id, AmendInput(120, "  "))
    with pytest.raises(DomainError, match="Nothing changed"):
        filings.amend_filing(monthly.generator, filing.id, AmendInput(100, "再次确认"))
    with pytest.raises(NotFound):
        filings.amend_filing(monthly.other, filing.id, AmendInput(120, "不是我的"))
    assert count(FilingAmendment) == 0 and filing.generated_kg == 100


def test_the_park_administrator_sets_tiers_and_periods_follow_them(monthly, on):
    gen = monthly.generator.enterprise
    filings.file_generation(monthly.generator, FilingInput(STEEL, "2026-03", 100))
    filings.set_filing_tier(monthly.admin, gen.id, "quarterly", D(2026, 4, 1))
    on(D(2026, 7, 3))
    quarter = filings.file_generation(monthly.generator, FilingInput(STEEL, "2026-Q2", 900))
    assert quarter.period_kind == "quarterly"
    with pytest.raises(DomainError, match="quarterly"):
        filings.file_generation(monthly.generator, FilingInput(STEEL, "2026-06", 5))
    # a month still owed from before the change can be filed late
    assert filings.file_generation(monthly.generator, FilingInput(STEEL, "2026-02", 7)).id


def test_tier_changes_are_refused_to_others_and_when_they_clash(monthly):
    gen = monthly.generator.enterprise
    filings.file_generation(monthly.generator, FilingInput(STEEL, "2026-03", 100))
    with pytest.raises(Forbidden):
        filings.set_filing_tier(monthly.generator, gen.id, "weekly", D(2026, 5, 1))
    with pytest.raises(NotFound):
        filings.set_filing_tier(monthly.admin_elsewhere, gen.id, "weekly", D(2026, 5, 1))
    with pytest.raises(Conflict, match="another period kind"):
        filings.set_filing_tier(monthly.admin, gen.id, "yearly", D(2026, 3, 1))
    with pytest.raises(Conflict, match="already starts"):
        filings.set_filing_tier(monthly.admin, gen.id, "weekly", D(2026, 1, 1))
    with pytest.raises(DomainError, match="weekly, monthly"):
        filings.set_filing_tier(monthly.admin, gen.id, "daily", D(2026, 5, 1))
    with pytest.raises(DomainError, match="Only generators"):
        filings.set_filing_tier(
            monthly.admin, monthly.recycler.enterprise_id, "weekly", D(2026, 5, 1)
        )
    assert db.session.execute(db.select(db.func.count(FilingTier.id))).scalar() == 1


def _file_on(on, user, key, kg, day):
    on(day)
    return filings.file_generation(user, FilingInput(STEEL, key, kg))


def test_filing_status_per_code_and_period(monthly, on):
    gen = monthly.generator
    _file_on(on, gen, "2026-01", 10, D(2026, 2, 10))
    _file_on(on, gen, "2026-02", 20, D(2026, 3, 20))  # due March 15
    on(D(2026, 4, 20))
    rows = filings.filing_status(gen.enterprise, (D(2026, 1, 1), D(2026, 6, 30)))
    got = [(r.code.code, r.period.key, r.due, r.state, r.can_file) for r in rows]
    assert got == [
        (STEEL, "2026-05", D(2026, 6, 15), FilingState.NOT_DUE, False),
        (STEEL, "2026-04", D(2026, 5, 15), FilingState.NOT_DUE, False),
        (STEEL, "2026-03", D(2026, 4, 15), FilingState.MISSING, True),
        (STEEL, "2026-02", D(2026, 3, 15), FilingState.LATE, False),
        (STEEL, "2026-01", D(2026, 2, 15), FilingState.ON_TIME, False),
    ]


def test_the_parks_grace_days_set_the_monthly_due_day(monthly, on):
    db.session.add(ParkManifestSettings(park_id=factories.park().id, filing_grace_days=5))
    _file_on(on, monthly.generator, "2026-02", 20, D(2026, 3, 10))
    on(D(2026, 4, 20))
    rows = filings.filing_status(monthly.generator.enterprise, (D(2026, 3, 1), D(2026, 3, 31)))
    assert [(r.period.key, r.due, r.state) for r in rows] == [
        ("2026-02", D(2026, 3, 5), FilingState.LATE)
    ]
