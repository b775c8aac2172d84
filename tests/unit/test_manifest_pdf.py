"""The manifest PDF: the three-party form, its CJK font embedded as a subset, labels in the
sheet's language. Built from a hand-made sheet: no app, no database."""

import io
from datetime import date, datetime

import pytest
from pypdf import PdfReader

from market.clock import BEIJING
from market.manifests.printing import (
    Correction,
    ManifestSheet,
    Party,
    Signature,
    render_pdf,
    section_titles,
    status_label,
)

NUMBER = "2026110115000042"


def at(hour: int) -> datetime:
    return datetime(2026, 11, 27, hour, 5, tzinfo=BEIJING)


def make_sheet(locale: str) -> ManifestSheet:
    titles = section_titles(locale)
    names = ("亦庄精密冲压有限公司", "京东南运输有限公司", "华北再生资源有限公司")
    return ManifestSheet(
        number=NUMBER,
        status="received",
        status_label=status_label("received", locale),
        version=2,
        generator=Party("generator", titles["generator"], names[0], "91110115MA0000001X"),
        transporter=Party("transporter", titles["transporter"], names[1], "91110115MA0000002X"),
        receiver=Party("receiver", titles["receiver"], names[2], "91110115MA0000003X"),
        waste_code="ISW-17-01-01",
        waste_name="冲压边角料",
        catalogue_name="废钢铁",
        hazardous=False,
        category="SW17 可再生类废物",
        declared_kg=20_000,
        received_kg=18_200,
        rejected_kg=1_800,
        packaging="吨袋",
        package_count=20,
        plate="京A12345",
        driver_name="李师傅",
        driver_phone="13912345678",
        submitted=Signature(at(9), "王工", names[0]),
        pickup=Signature(at(10), "赵调度", names[1]),
        receipt=Signature(at(15), "孙主任", names[2]),
        treatment="利用",
        treatment_method="再生利用",
        discrepant=True,
        discrepancy_note="地磅复称",
        rejection_reason="混有油污",
        rejection_destination="退回产生单位",
        receipt_due_on=date(2026, 12, 4),
        receipt_due_rule="5wd",
        corrections=(Correction(2, at(16), names[2], "更正处置方式"),),
        verify_url="https://exchange.example/manifests/verify/" + "x" * 43,
        chain_ok=True,
        public=False,
        locale=locale,
    )


@pytest.fixture(scope="module")
def zh_pdf() -> bytes:
    return render_pdf(make_sheet("zh_CN"))


def fonts_of(data: bytes) -> list:
    reader = PdfReader(io.BytesIO(data))
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            found.append(font.get_object())
    return found


def test_the_pdf_is_one_a4_page(zh_pdf):
    reader = PdfReader(io.BytesIO(zh_pdf))
    assert zh_pdf.startswith(b"%PDF-") and zh_pdf.rstrip().endswith(b"%%EOF")
    box = reader.pages[0].mediabox
    assert len(reader.pages) == 1 and (round(box.width), round(box.height)) == (595, 842)


def test_every_font_is_an_embedded_truetype_subset_in_two_weights(zh_pdf):
    fonts = fonts_of(zh_pdf)
    assert len(fonts) == 2
    for font in fonts:
        cid = font["/DescendantFonts"][0].get_object()
        descriptor = cid["/FontDescriptor"].get_object()
        embedded = descriptor["/FontFile2"].get_object().get_data()
        assert cid["/Subtype"] == "/CIDFontType2"
        assert font["/BaseFont"][7] == "+"  # ABCDEF+Name: a subset, not a system font
        assert 1_000 < len(embedded) < 200_000  # the glyphs used, not the 17 MB font
    names = sorted(str(f["/BaseFont"]).split("+")[1] for f in fonts)
    assert names == ["NotoSansSC", "NotoSansSCBold"]  # weights pinned, not the default Thin


def test_the_text_has_the_number_the_title_and_the_three_sections(zh_pdf):
    text = PdfReader(io.BytesIO(zh_pdf)).pages[0].extract_text()
    for words in (
        NUMBER,
        "一般工业固体废物转移联单",
        "产生单位（移出人）",
        "运输单位（承运人）",
        "接收单位（接受人）",
        "2026-11-27 10:05",
        "更正：第 2 版",
    ):
        assert words in text


def test_the_labels_follow_the_sheets_language():
    text = PdfReader(io.BytesIO(render_pdf(make_sheet("en")))).pages[0].extract_text()
    assert "General industrial solid waste transfer manifest" in text
    assert "Receiver (consignee)" in text and "接收单位" not in text
    assert "亦庄精密冲压有限公司" in text  # names stay as registered
