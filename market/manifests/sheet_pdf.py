"""The manifest PDF: the three-party transfer form on A4, the CJK font embedded as a subset.

The font files come from `pdf_font`: Regular and Bold holding just the glyphs this sheet uses,
cut from static fonts cached once per machine (see that module).
"""

import string
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.fonts import FontFace

from market.manifests.pdf_font import fit_bounds, fonts_for
from market.manifests.sheet import ManifestSheet, Signature, translations

_HEADING = FontFace(emphasis="BOLD", fill_color=(226, 239, 230))
_LABEL = FontFace(fill_color=(245, 245, 245))
_ALWAYS = string.digits + string.ascii_letters + string.punctuation + " ·—（）：，。、"


def _strings(value) -> list[str]:
    """Every string in a sheet (recursively), to know which glyphs the subset needs."""
    if isinstance(value, str):
        return [value]
    if is_dataclass(value):
        return [s for f in fields(value) for s in _strings(getattr(value, f.name))]
    if isinstance(value, tuple | list):
        return [s for item in value for s in _strings(item)]
    return []


class _Form(FPDF):
    def __init__(self, sheet: ManifestSheet, labels: dict[str, str]):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.sheet, self.labels = sheet, labels
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(auto=True, margin=14)
        self.set_creator("Park Waste Exchange")
        self.set_title(f"{labels['title']} {sheet.number}")

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("sc", "", 7)
        self.set_text_color(90)
        text = f"{self.labels['verify_at']} {self.sheet.verify_url}"
        self.cell(0, 4, text, align="L")
        self.cell(0, 4, f"{self.page_no()}/{{nb}}", align="R")


def render(sheet: ManifestSheet) -> bytes:
    """The sheet as an A4 PDF laid out like the three-party transfer form."""
    labels = pdf_labels(sheet.locale)
    text = "".join(_strings(sheet)) + "".join(labels.values()) + _ALWAYS
    with tempfile.TemporaryDirectory(prefix="manifest-font-") as folder:
        pdf = _Form(sheet, labels)
        for style, path in fonts_for(text, Path(folder)).items():
            pdf.add_font("sc", style, str(path))
        pdf.add_page()
        _layout(pdf, sheet, labels)
        for font in pdf.fonts.values():
            fit_bounds(font)
        return bytes(pdf.output())


def _layout(pdf: _Form, sheet: ManifestSheet, labels: dict[str, str]) -> None:
    _header(pdf, sheet, labels)
    blocks = (_generator_rows, _transporter_rows, _receiver_rows)
    for party, signature, rows in zip(sheet.parties, sheet.signatures, blocks, strict=True):
        _section(pdf, party.title, rows(sheet, labels), _signed(signature, labels))
    _section(pdf, labels["waste"], _waste_rows(sheet, labels), None)
    _notes(pdf, labels["remarks"], _remark_rows(sheet, labels))


def _header(pdf: _Form, sheet: ManifestSheet, labels: dict[str, str]) -> None:
    size = 30
    _draw_qr(pdf, sheet.verify_url, pdf.w - pdf.r_margin - size, pdf.t_margin, size)
    width = pdf.epw - size - 4
    pdf.set_font("sc", "B", 16)
    pdf.multi_cell(width, 8, labels["title"], align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sc", "", 9)
    pdf.set_text_color(70)
    pdf.multi_cell(width, 5, labels["subtitle"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.ln(2)
    pdf.set_font("sc", "B", 11)
    pdf.cell(width, 6, f"{labels['number']} {sheet.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sc", "", 9)
    chain = labels["chain_ok"] if sheet.chain_ok else labels["chain_bad"]
    line = (
        f"{labels['status']} {sheet.status_label}   {labels['version']} {sheet.version}   {chain}"
    )
    pdf.multi_cell(width, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), pdf.t_margin + size) + 3)


def _draw_qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares, one rectangle per run of dark modules in a row."""
    matrix = [list(row) for row in segno.make(url, error="m").matrix_iter(border=2)]
    module = size / len(matrix)
    pdf.set_fill_color(0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module, "F")


def _kg(kg: int | None, labels: dict[str, str]) -> str:
    return "—" if kg is None else labels["kg"] % {"n": f"{kg:,}"}


def _or_dash(value) -> str:
    return "—" if value in (None, "") else str(value)


def _generator_rows(sheet: ManifestSheet, labels: dict[str, str]) -> list[tuple[str, str]]:
    return [
        (labels["name"], sheet.generator.name),
        (labels["uscc"], sheet.generator.uscc),
        (labels["declared"], _kg(sheet.declared_kg, labels)),
        (labels["submitted_at"], sheet.submitted.at_text),
    ]


def _waste_rows(sheet: ManifestSheet, labels: dict[str, str]) -> list[tuple[str, str]]:
    hazard = labels["yes"] if sheet.hazardous else labels["no"]
    packaging = _or_dash(sheet.packaging)
    if sheet.package_count:
        packaging = f"{packaging} · {labels['pieces'] % {'n': sheet.package_count}}"
    return [
        (labels["waste_code"], sheet.waste_code),
        (labels["waste_name"], f"{sheet.waste_name}（{sheet.catalogue_name}）"),
        (labels["category"], sheet.category),
        (labels["hazardous"], hazard),
        (labels["declared"], _kg(sheet.declared_kg, labels)),
        (labels["packaging"], packaging),
    ]


def _transporter_rows(sheet: ManifestSheet, labels: dict[str, str]) -> list[tuple[str, str]]:
    rows = [
        (labels["name"], sheet.transporter.name),
        (labels["uscc"], sheet.transporter.uscc),
    ]
    if not sheet.public:
        driver = _or_dash(sheet.driver_name)
        if sheet.driver_phone:
            driver = f"{driver}  {sheet.driver_phone}"
        rows += [(labels["plate"], _or_dash(sheet.plate)), (labels["driver"], driver)]
    rows.append((labels["pickup_at"], sheet.pickup.at_text))
    due = _or_dash(sheet.receipt_due_on)
    if sheet.receipt_due_rule:
        due = f"{due}（{sheet.receipt_due_rule}）"
    rows.append((labels["receipt_due"], due))
    return rows


def _receiver_rows(sheet: ManifestSheet, labels: dict[str, str]) -> list[tuple[str, str]]:
    treatment = " · ".join(t for t in (sheet.treatment, sheet.treatment_method) if t)
    return [
        (labels["name"], sheet.receiver.name),
        (labels["uscc"], sheet.receiver.uscc),
        (labels["received"], _kg(sheet.received_kg, labels)),
        (labels["rejected"], _kg(sheet.rejected_kg, labels)),
        (labels["treatment"], _or_dash(treatment)),
        (labels["received_at"], sheet.receipt.at_text),
    ]


def _remark_rows(sheet: ManifestSheet, labels: dict[str, str]) -> list[tuple[str, str]]:
    rows = []
    if sheet.discrepant:
        note = labels["discrepant"]
        rows.append((labels["discrepancy"], f"{note} {sheet.discrepancy_note}".strip()))
    if sheet.rejected_kg:
        why = " · ".join(t for t in (sheet.rejection_reason, sheet.rejection_destination) if t)
        rows.append((labels["rejection"], f"{_kg(sheet.rejected_kg, labels)} · {_or_dash(why)}"))
    for c in sheet.corrections:
        when = c.at.strftime("%Y-%m-%d %H:%M")
        text = " · ".join(t for t in (when, c.enterprise_name, c.reason) if t)
        rows.append((labels["correction"].format(n=c.version), text))
    return rows or [(labels["remarks"], labels["none"])]


def _signed(signature: Signature, labels: dict[str, str]) -> str:
    if signature.at is None:
        return f"{labels['signature']} {labels['unsigned']}"
    who = " · ".join(t for t in (signature.user_name, signature.enterprise_name) if t)
    return f"{labels['signature']} {_or_dash(who)}    {labels['time']} {signature.at_text}"


def _section(pdf: FPDF, title: str, rows: list[tuple[str, str]], signed: str | None) -> None:
    """A bordered block: a shaded title, label/value pairs two a line, then the signature."""
    cells = rows + [("", "")] if len(rows) % 2 else rows
    with _table(pdf, title) as table:
        for i in range(0, len(cells), 2):
            line = table.row()
            for label, value in cells[i : i + 2]:
                line.cell(label, style=_LABEL)
                line.cell(value)
        if signed is not None:
            table.row().cell(signed, colspan=4)


def _notes(pdf: FPDF, title: str, rows: list[tuple[str, str]]) -> None:
    """A block of long remarks: one a line, the text across the width."""
    with _table(pdf, title) as table:
        for label, value in rows:
            line = table.row()
            line.cell(label, style=_LABEL)
            line.cell(value, colspan=3)


@contextmanager
def _table(pdf: FPDF, title: str) -> Iterator:
    pdf.ln(2)
    pdf.set_font("sc", "", 9)
    pdf.set_draw_color(90)
    with pdf.table(
        col_widths=(30, 63, 30, 63),
        first_row_as_headings=False,
        line_height=5.5,
        padding=1.2,
        text_align="LEFT",
        v_align="MIDDLE",
    ) as table:
        table.row().cell(title, colspan=4, style=_HEADING)
        yield table


def pdf_labels(locale: str) -> dict[str, str]:
    _ = translations(locale).gettext
    return {
        "title": _("General industrial solid waste transfer manifest"),
        "kg": _("%(n)s kg"),
        "subtitle": _("Electronic manifest: one vehicle trip of one waste code"),
        "number": _("Manifest No."),
        "status": _("Status:"),
        "version": _("Version:"),
        "chain_ok": _("Record chain: verified"),
        "chain_bad": _("Record chain: NOT verified"),
        "name": _("Name"),
        "uscc": _("Unified social credit code"),
        "waste_code": _("Waste code"),
        "waste_name": _("Waste name"),
        "category": _("Category"),
        "hazardous": _("Hazardous"),
        "yes": _("yes"),
        "no": _("no"),
        "declared": _("Declared weight"),
        "packaging": _("Packaging"),
        "pieces": _("%(n)d pieces"),
        "plate": _("Vehicle plate"),
        "driver": _("Driver"),
        "pickup_at": _("Picked up"),
        "receipt_due": _("Receipt due by"),
        "received": _("Received weight"),
        "rejected": _("Rejected weight"),
        "treatment": _("Treatment and method"),
        "received_at": _("Received"),
        "signature": _("Signed by:"),
        "time": _("Time (Beijing):"),
        "unsigned": _("not signed yet"),
        "remarks": _("Remarks"),
        "waste": _("Waste"),
        "submitted_at": _("Submitted"),
        "none": _("none"),
        "discrepancy": _("Weight discrepancy"),
        "discrepant": _("Received weight differs from declared beyond the tolerance."),
        "rejection": _("Rejection"),
        "correction": _("Correction: version {n}"),
        "verify_at": _("Verify this manifest at"),
    }
