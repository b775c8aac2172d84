"""A ledger as files: one CSV per table (UTF-8 with BOM) or one XLSX with a sheet per table.

Headers are the official forms' Chinese field names with units, whatever the page language.
The hazardous-waste tables follow HJ 1259-2022 Appendix B. The official field list of the
general-waste guide (生态环境部公告 2021年第82号, 附表) could not be obtained, so its tables are
modelled on the same HJ 1259 structure; the basic-information sheet says so in the file.
"""

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from market import clock
from market.manifests.ledger import Flag
from market.manifests.ledgers import Ledger

KG = "（千克）"
SOURCE_NOTE = (
    "危险废物各表字段依据 HJ 1259-2022《危险废物管理计划和管理台账制定技术导则》附录B；"
    "一般工业固体废物各表按生态环境部公告2021年第82号所列台账内容（产生、贮存、自行利用/处置、"
    "委托利用/处置、流向汇总），字段参照 HJ 1259-2022 附录B 的结构拟定（该公告附表原文未取得）。"
    "重量单位为千克；日期为北京时间。"
)
FLAGS = {
    Flag.MISSING_FILING: "未申报",
    Flag.NEGATIVE_STOCK: "负库存",
    Flag.HELD_TOO_LONG: "超期贮存",
    Flag.OVER_STORAGE: "超量贮存",
}
ROLES = {"generator": "产废单位", "recycler": "利用处置单位", "transporter": "运输单位"}
TREATMENTS = {"utilise": "利用", "dispose": "处置"}
KINDS = {"week": "周", "month": "月", "quarter": "季度", "year": "年"}


@dataclass(frozen=True)
class Table:
    key: str  # the file name part and the ?table= value
    title: str  # the sheet's name
    headers: tuple[str, ...]
    rows: Callable[[Ledger], Iterable[tuple]]


def _code(code) -> tuple:
    return code.code, code.name, code.category_name, "是" if code.is_hazardous else "否"


def _basic(book: Ledger) -> Iterable[tuple]:
    e = book.enterprise
    yield from (
        ("单位名称", e.name),
        ("统一社会信用代码", e.uscc),
        ("所在园区", e.park.name),
        ("生产经营场所地址", e.address),
        ("联系人", e.contact_name),
        ("联系电话", e.contact_phone),
        ("单位类型", "、".join(ROLES[r.value] for r in e.roles)),
        ("台账期间", f"{book.start.isoformat()} 至 {book.end.isoformat()}"),
        ("统计周期", KINDS[book.kind.value]),
        ("导出时间", clock.local(clock.now()).strftime("%Y-%m-%d %H:%M")),
        ("说明", SOURCE_NOTE),
    )
    for code in book.codes.values():
        yield (
            "涉及废物",
            " ".join(_code(code)[:3]) + ("（危险废物）" if code.is_hazardous else ""),
        )


def _generation(book: Ledger) -> Iterable[tuple]:
    for f in book.filings:
        yield (f"SB{f.id:08d}", f.period_key, f.period_start, f.period_end,
               *_code(f.waste_code), f.generated_kg, f.stock_kg, "千克", f.filed_on, f.version,
               f.note)  # fmt: skip


def _storage(book: Ledger) -> Iterable[tuple]:
    for side, ledgers in (("产废", book.generator), ("利用处置", book.recycler)):
        for code_id, rows in ledgers.items():
            code = book.codes[code_id]
            for r in rows:
                came = r.generated_kg if side == "产废" else r.received_kg
                yield (side, code.code, code.name, r.period.key, r.opening_kg, came, r.out_kg,
                       r.closing_kg, r.oldest_since, r.held_days,
                       "、".join(FLAGS[f] for f in book.flags(r)))  # fmt: skip


def _own(book: Ledger) -> Iterable[tuple]:
    for s in book.received:
        m = s.manifest
        yield (m.number, s.day, *_code(m.waste_code)[:2], m.received_kg,
               TREATMENTS.get(m.treatment or "", ""), m.treatment_method or "", m.generator.name,
               m.rejected_kg)  # fmt: skip


def _entrusted(book: Ledger) -> Iterable[tuple]:
    for s in book.shipped:
        m = s.manifest
        yield (m.number, s.day, *_code(m.waste_code)[:2], m.declared_kg, m.received_kg,
               TREATMENTS.get(m.treatment or "", ""), m.treatment_method or "", m.receiver.name,
               m.receiver.uscc, m.transporter.name, m.plate or "")  # fmt: skip


def _flow(book: Ledger) -> Iterable[tuple]:
    for code_id, code in book.codes.items():
        made = {r.period: r for r in book.generator.get(code_id, ())}
        took = {r.period: r for r in book.recycler.get(code_id, ())}
        for period in book.periods:
            g, r = made.get(period), took.get(period)
            yield (code.code, code.name, period.key,
                   g.generated_kg if g else None, g.transferred_kg if g else None,
                   g.closing_kg if g else None, r.received_kg if r else None,
                   r.utilised_kg if r else None, r.disposed_kg if r else None,
                   r.closing_kg if r else None)  # fmt: skip


CODE_HEADERS = ("废物代码", "废物名称", "废物类别", "是否危险废物")
TABLES = (
    Table("basic", "基本信息", ("项目", "内容"), _basic),
    Table("generation", "产生环节", ("申报编号", "申报周期", "周期开始日期", "周期结束日期",
          *CODE_HEADERS, "产生量" + KG, "申报库存量" + KG, "计量单位", "申报日期", "版本",
          "备注"), _generation),
    Table("storage", "贮存环节", ("台账类型", "废物代码", "废物名称", "周期", "期初库存量" + KG,
          "入库量" + KG, "出库量" + KG, "期末库存量" + KG, "最早入库日期", "贮存天数（天）",
          "异常标记"), _storage),
    Table("own", "自行利用处置", ("联单编号", "接收日期", "废物代码", "废物名称",
          "利用/处置量" + KG, "利用/处置类型", "利用/处置方式", "产废单位名称",
          "拒收量" + KG), _own),
    Table("entrusted", "委托利用处置", ("联单编号", "出厂日期", "废物代码", "废物名称",
          "申报转移量" + KG, "委托利用/处置量" + KG, "利用/处置类型", "利用/处置方式",
          "利用/处置单位名称", "利用/处置单位统一社会信用代码", "运输单位名称", "车牌号"),
          _entrusted),
    Table("flow", "流向汇总", ("废物代码", "废物名称", "周期", "产生量" + KG,
          "委托利用/处置量" + KG, "产废期末库存量" + KG, "接收量" + KG, "利用量" + KG,
          "处置量" + KG, "利用处置期末库存量" + KG), _flow),
)  # fmt: skip
BY_KEY = {table.key: table for table in TABLES}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def to_csv(book: Ledger, key: str) -> bytes:
    """One table as CSV, UTF-8 with a byte-order mark so Excel reads the Chinese."""
    table = BY_KEY[key]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows([_cell(v) for v in row] for row in table.rows(book))
    return out.getvalue().encode("utf-8-sig")


def _width(value) -> int:
    """Display width: CJK characters take two columns."""
    text = _cell(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


def to_xlsx(book: Ledger) -> bytes:
    """Every table as a sheet: bold header row frozen, columns wide enough, dates as dates."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in TABLES:
        sheet = workbook.create_sheet(table.title)
        sheet.append(table.headers)
        widths = [_width(h) for h in table.headers]
        for row in table.rows(book):
            sheet.append(list(row))
            widths = [max(w, min(_width(v), 60)) for w, v in zip(widths, row, strict=True)]
        for cell in sheet[1]:
            cell.font, cell.fill = Font(bold=True), HEADER_FILL
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        for column in sheet.iter_cols(min_row=2):
            for cell in column:
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width + 2
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def file_name(book: Ledger, suffix: str) -> str:
    return f"ledger-{book.enterprise.uscc}-{book.start.isoformat()}-{book.end.isoformat()}{suffix}"
