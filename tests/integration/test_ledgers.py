"""Ledger numbers from filings and closed manifests, hand-computed, and the exports read back."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from market import clock
from market.extensions import db
from market.manifests import exports, ledgers
from market.manifests.filings import FilingInput, file_generation
from market.manifests.ledger import Flag
from market.manifests.periods import Kind
from tests import factories
from tests import ledger_factories as lf

D = date
STEEL = "ISW-17-01-01"


@pytest.fixture()
def trade(world, monkeypatch):
    """January to March 2026: filings of 500 and 200 kg (March not filed) and four manifests.

    Generator, by pickup day: Jan 20 300 kg, Jan 31 150 kg (received Feb 2), Mar 5 250 kg
    (disposed); a load picked up Feb 10 is still in transit and does not count.
    """
    factories.demand(world.recycler)
    deal = lf.deal(world.generator, world.recycler)
    lf.tier(world.generator.enterprise, "monthly", D(2026, 1, 1))
    ids = [
        lf.closed_manifest(deal, 300, D(2026, 1, 20), D(2026, 1, 22), world.generator).id,
        lf.closed_manifest(deal, 150, D(2026, 1, 31), D(2026, 2, 2), world.generator).id,
        lf.closed_manifest(
            deal, 100, D(2026, 2, 10), D(2026, 2, 11), world.generator, status="in_transit"
        ).id,
        lf.closed_manifest(
            deal, 250, D(2026, 3, 5), D(2026, 3, 6), world.generator, treatment="dispose"
        ).id,
    ]
    db.session.commit()
    monkeypatch.setattr(clock, "now", lambda: lf.at(D(2026, 4, 20)))
    for key, kg in (("2026-01", 500), ("2026-02", 200)):
        file_generation(world.generator, FilingInput(STEEL, key, kg))
    db.session.commit()
    world.manifest_ids = ids
    return world


def figures(rows):
    return [(r.period.key, r.opening_kg, r.generated_kg, r.transferred_kg, r.closing_kg)
            for r in rows]  # fmt: skip


def test_generator_ledger_counts_closed_manifests_on_their_pickup_day(trade):
    book = ledgers.ledger_for(trade.generator.enterprise, Kind.MONTH, D(2026, 1, 1), D(2026, 3, 31))
    (code_id,) = book.generator
    rows = book.generator[code_id]
    assert figures(rows) == [
        ("2026-01", 0, 500, 450, 50),
        ("2026-02", 50, 200, 0, 250),
        ("2026-03", 250, 0, 250, 0),
    ]
    assert rows[2].flags == {Flag.MISSING_FILING}
    assert rows[0].manifest_ids == tuple(trade.manifest_ids[:2])
    assert [s.manifest.id for s in book.shipped] == [trade.manifest_ids[i] for i in (0, 1, 3)]
    assert not book.recycler  # a generator only


def test_a_later_window_opens_with_the_stock_carried_from_before_it(trade):
    book = ledgers.ledger_for(trade.generator.enterprise, Kind.MONTH, D(2026, 2, 1), D(2026, 4, 30))
    rows = next(iter(book.generator.values()))
    assert figures(rows) == [
        ("2026-02", 50, 200, 0, 250),
        ("2026-03", 250, 0, 250, 0),
        ("2026-04", 0, 0, 0, 0),
    ]
    assert [f.period_key for f in book.filings] == ["2026-02"]


def test_recycler_ledger_counts_receipts_on_their_day_as_utilised_or_disposed(trade):
    book = ledgers.ledger_for(trade.recycler.enterprise, Kind.MONTH, D(2026, 1, 1), D(2026, 3, 31))
    rows = next(iter(book.recycler.values()))
    got = [(r.period.key, r.opening_kg, r.received_kg, r.utilised_kg, r.disposed_kg, r.closing_kg)
           for r in rows]  # fmt: skip
    assert got == [
        ("2026-01", 0, 300, 300, 0, 0),
        ("2026-02", 0, 150, 150, 0, 0),  # picked up January 31, received February 2
        ("2026-03", 0, 250, 0, 250, 0),
    ]
    assert not book.generator


def test_filings_of_another_kind_are_counted_not_mixed_in(trade):
    book = ledgers.ledger_for(
        trade.generator.enterprise, Kind.QUARTER, D(2026, 1, 1), D(2026, 3, 31)
    )
    rows = next(iter(book.generator.values()))
    assert figures(rows) == [("2026-Q1", 0, 0, 700, -700)]
    assert book.other_kind_filings == 2 and Flag.NEGATIVE_STOCK in rows[0].flags


def test_park_status_counts_each_generators_filings(trade):
    (row,) = [
        r for r in ledgers.park_status(factories.park().id, (D(2026, 1, 1), D(2026, 4, 20)))
        if r.enterprise.id == trade.generator.enterprise_id
    ]  # fmt: skip
    # January and February filed on April 20 (late), March due April 15: missing
    assert row.counts == {"due": 3, "on_time": 0, "late": 2, "missing": 1, "pending": 0}
    assert row.problems == 3


def _book(trade):
    return ledgers.ledger_for(trade.generator.enterprise, Kind.MONTH, D(2026, 1, 1), D(2026, 3, 31))


def test_csv_has_a_bom_chinese_headers_with_units_and_the_ledger_numbers(trade):
    raw = exports.to_csv(_book(trade), "flow")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:6] == ["废物代码", "废物名称", "周期", "产生量（千克）",
                           "委托利用/处置量（千克）", "产废期末库存量（千克）"]  # fmt: skip
    assert [r[2:6] for r in rows[1:]] == [
        ["2026-01", "500", "450", "50"],
        ["2026-02", "200", "0", "250"],
        ["2026-03", "0", "250", "0"],
    ]
    entrusted = list(
        csv.reader(io.StringIO(exports.to_csv(_book(trade), "entrusted").decode("utf-8-sig")))
    )
    assert entrusted[0][0] == "联单编号" and [r[1] for r in entrusted[1:]] == [
        "2026-01-20", "2026-01-31", "2026-03-05"]  # fmt: skip


def test_xlsx_has_a_sheet_per_table_with_frozen_headers_and_typed_cells(trade):
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(_book(trade))))
    assert workbook.sheetnames == [t.title for t in exports.TABLES] == [
        "基本信息", "产生环节", "贮存环节", "自行利用处置", "委托利用处置", "流向汇总"]  # fmt: skip
    for table in exports.TABLES:
        sheet = workbook[table.title]
        assert tuple(c.value for c in sheet[1]) == table.headers
        assert sheet.freeze_panes == "A2"
        assert sheet.column_dimensions["A"].width >= 6
    generation = workbook["产生环节"]
    assert [(r[1].value, r[8].value) for r in generation.iter_rows(min_row=2)] == [
        ("2026-01", 500), ("2026-02", 200)]  # fmt: skip
    assert generation.cell(2, 3).value.date() == D(2026, 1, 1)  # a date, not text
    storage = [tuple(c.value for c in r[3:8]) for r in workbook["贮存环节"].iter_rows(min_row=2)]
    assert storage == [("2026-01", 0, 500, 450, 50), ("2026-02", 50, 200, 0, 250),
                       ("2026-03", 250, 0, 250, 0)]  # fmt: skip
    basic = dict(r for r in workbook["基本信息"].iter_rows(min_row=2, values_only=True))
    assert basic["统一社会信用代码"] == trade.generator.enterprise.uscc
    assert "HJ 1259-2022" in basic["说明"] and "未取得" in basic["说明"]


def test_a_period_not_yet_due_is_not_shown_as_not_filed(trade):
    book = ledgers.ledger_for(trade.generator.enterprise, Kind.MONTH, D(2026, 3, 1), D(2026, 4, 30))
    march, april = next(iter(book.generator.values()))
    assert Flag.MISSING_FILING in march.flags and Flag.MISSING_FILING in april.flags
    assert book.flags(march) == [Flag.MISSING_FILING]  # due April 15, today is April 20
    assert book.flags(april) == []  # due May 15
    storage = list(csv.reader(io.StringIO(exports.to_csv(book, "storage").decode("utf-8-sig"))))
    assert [r[-1] for r in storage[1:]] == ["未申报", ""]
