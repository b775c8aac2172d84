"""The printed and public faces of a manifest: the sheet read from the rows, its PDF and the
public verification page, which must never show anything private."""

import io
import re

import pytest
from flask import render_template
from pypdf import PdfReader

from market.extensions import db
from market.manifests.printing import render_pdf, sheet_of
from tests import manifest_rows
from tests.manifest_rows import DRIVER_PHONE, PRICE_YUAN

URL = "https://exchange.example/manifests/verify/"
PHONE = re.compile(r"1[3-9]\d{9}")  # a mainland mobile number
_AMOUNT = int(PRICE_YUAN) * 20  # yuan for the 20 t deal
PRICE = re.compile(
    rf"(?<!\d)({PRICE_YUAN}|{int(PRICE_YUAN):,}|{_AMOUNT}|{_AMOUNT:,})(?!\d)|¥|￥|元"
)


def sheet(row, *, public, locale="zh_CN", chain_ok=True):
    return sheet_of(
        row, verify_url=URL + row.verify_token, chain_ok=chain_ok, public=public, locale=locale
    )


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_submitted_manifest_has_only_the_generators_signature(world):
    s = sheet(manifest_rows.manifest(world, "submitted"), public=False)
    assert (s.status, s.status_label, s.version) == ("submitted", "已提交，待运输", 1)
    assert s.submitted.at is not None and s.submitted.enterprise_name == s.generator.name
    assert s.submitted.at.utcoffset().total_seconds() == 8 * 3600  # Beijing time
    assert (s.pickup.at, s.receipt.at, s.received_kg, s.plate) == (None, None, None, None)
    assert (s.waste_code, s.declared_kg, s.packaging, s.package_count) == (
        "ISW-17-01-01",
        20_000,
        "吨袋",
        20,
    )
    assert [p.title for p in s.parties] == [
        "产生单位（移出人）",
        "运输单位（承运人）",
        "接收单位（接受人）",
    ]


def test_in_transit_the_parties_see_the_driver_and_the_public_does_not(world):
    row = manifest_rows.manifest(world, "in_transit")
    private, public = sheet(row, public=False), sheet(row, public=True)
    assert (private.plate, private.driver_name, private.driver_phone) == (
        "京A·12345",
        "李师傅",
        DRIVER_PHONE,
    )
    assert (public.plate, public.driver_name, public.driver_phone) == (None, None, None)
    assert private.pickup.enterprise_name == world.transporter.enterprise.name
    assert private.pickup.user_name == world.transporter.name and public.pickup.user_name == ""
    assert public.pickup.at == private.pickup.at is not None
    assert (private.receipt_due_on.isoformat(), private.receipt_due_rule) == ("2026-12-04", "5wd")


def test_a_discrepant_receipt_keeps_the_note_private_and_the_flag_public(world):
    row = manifest_rows.manifest(world, "discrepant")
    private, public = sheet(row, public=False, locale="en"), sheet(row, public=True)
    assert (private.status_label, private.received_kg, private.discrepant) == (
        "received",
        18_200,
        True,
    )
    assert (private.treatment, private.treatment_method) == ("utilisation", "再生利用")
    assert private.discrepancy_note == "地磅复称，含水率偏高"
    assert public.discrepant and public.discrepancy_note == ""
    assert public.receipt.enterprise_name == public.receiver.name


def test_a_partly_rejected_manifest_shows_where_the_rejected_part_goes(world):
    row = manifest_rows.manifest(world, "rejected")
    private, public = sheet(row, public=False), sheet(row, public=True)
    assert (private.rejected_kg, private.rejection_destination) == (1_800, "退回产生单位")
    assert private.rejection_reason.startswith("混有油污") and public.rejection_reason == ""
    assert [(c.version, c.reason) for c in private.corrections] == [(2, "更正处置方式")]
    assert [(c.version, c.reason) for c in public.corrections] == [(2, "")]
    assert private.version == 2


@pytest.fixture()
def rejected(world):
    row = manifest_rows.manifest(world, "rejected")
    db.session.commit()
    return row


def test_the_public_pdf_carries_no_phone_and_no_price(rejected):
    data = render_pdf(sheet(rejected, public=True))
    text = pdf_text(data)
    assert data.startswith(b"%PDF-")
    assert rejected.number in text and "产生单位（移出人）" in text
    assert not PHONE.search(text) and not PRICE.search(text)
    assert "李师傅" not in text and "混有油污" not in text and "测试用户" not in text


def test_the_parties_pdf_shows_the_driver_but_still_no_price(rejected):
    text = pdf_text(render_pdf(sheet(rejected, public=False, locale="en")))
    assert DRIVER_PHONE in text and "李师傅" in text and "混有油污" in text
    assert PHONE.findall(text) == [DRIVER_PHONE]  # no enterprise's contact phone either
    assert not PRICE.search(text)
    for title in ("Generator (consignor)", "Transporter (carrier)", "Receiver (consignee)"):
        assert title in text


def test_the_verification_page_shows_the_facts_and_nothing_private(rejected):
    html = render_template("manifests/verify.html", sheet=sheet(rejected, public=True))
    for fact in (rejected.number, rejected.generator.name, rejected.receiver.name, "20,000 kg"):
        assert fact in html
    assert "ISW-17-01-01" in html and "18,200 kg" in html and "1,800 kg" in html
    assert "哈希链" in html or "记录链" in html
    assert not PHONE.search(html) and not PRICE.search(html)
    for private in ("京A·12345", "李师傅", "地磅复称", "混有油污", "更正处置方式", "测试用户"):
        assert private not in html
    assert f"/{rejected.id}/" not in html


def test_a_broken_chain_is_shown_plainly_as_not_verified(rejected):
    html = render_template(
        "manifests/verify.html", sheet=sheet(rejected, public=True, chain_ok=False)
    )
    assert "未通过" in html or "不符" in html
    assert "bg-danger-subtle" in html and "bg-success-subtle" not in html


def test_the_verification_page_for_an_unknown_link_says_so(ctx):
    html = render_template("manifests/verify.html", sheet=None)
    assert "没有与此链接对应的联单" in html


def test_the_print_page_has_the_sheet_the_qr_and_both_buttons(rejected):
    s = sheet(rejected, public=False)
    html = render_template("manifests/print.html", sheet=s, pdf_url="/m/x.pdf")
    assert "<svg" in html and 'href="/m/x.pdf"' in html and "window.print()" in html
    assert DRIVER_PHONE in html and "接收单位（接受人）" in html and not PRICE.search(html)
