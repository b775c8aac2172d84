"""Demo places and evidence: each park's named sites, a physical form for every lot (from
its name, so the demo's random draws are untouched), and a photo and a lab report on the
named generator's lots, drawn here rather than shipped as files."""

import io

from market.accounts import sites
from market.accounts.models import User
from market.listings import attachments
from market.listings.models import SupplyListing
from market.uploads import Upload

# The first word found in a lot's plant name tells its physical form.
FORM_WORDS = (
    ("泥", "sludge"),
    ("渣", "sludge"),
    ("油", "liquid"),
    ("液", "liquid"),
    ("溶剂", "liquid"),
    ("粉", "powder"),
    ("灰", "powder"),
    ("屑", "solid"),
)
COMPONENTS = {
    "废铜屑": "Cu 92%, 切削油 3%, 水 5%",
    "废机油": "矿物油 85%, 水 10%, 金属颗粒 <1%",
    "冲压边角料": "Fe 98%, 防锈油 1%",
    "废铝屑": "Al 90%, 切削液 6%",
    "废切削液": "水 80%, 矿物油 12%, 添加剂 8%",
    "物化污泥": "含水率 78%, Fe 6%, Zn 0.4%",
}


def physical_form(local_name: str) -> str:
    return next((form for word, form in FORM_WORDS if word in local_name), "solid")


def seed_sites(admin: User, spec: dict) -> None:
    for row in spec.get("sites", []):
        sites.create_site(
            admin, sites.SiteInput(row["name"], row["address"], row["lat"], row["lon"])
        )


def photo_png(label: str, hue: int) -> bytes:
    """A small picture standing in for a photo of the lot (stripes, like bales in a bay)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), (200, 205, 200))
    draw = ImageDraw.Draw(image)
    for i in range(8):
        shade = (hue + i * 9) % 256
        draw.rectangle((20 + i * 56, 90, 66 + i * 56, 330), fill=(shade, 120 + i * 8, 90))
    draw.rectangle((0, 0, 480, 60), fill=(40, 90, 60))
    draw.text((16, 20), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def lab_report_pdf(title: str, lines: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    for line in lines:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def attach_evidence(lot: SupplyListing) -> None:
    """A photo and a lab report on one of the named generator's lots."""
    user = lot.created_by
    code = lot.waste_code.code
    photo = Upload(f"lot-{lot.id}.png", photo_png(f"Lot {lot.id} / {code}", lot.id * 37))
    attachments.attach(
        user, lot, attachments.AttachmentInput("photo", f"{lot.local_name}（现场照片）", photo)
    )
    report = lab_report_pdf(
        f"Lab report - lot {lot.id}",
        [f"Waste code: {code}", "Sample taken at the generator's storage bay.", "Demo data."],
    )
    attachments.attach(
        user,
        lot,
        attachments.AttachmentInput(
            "lab_report", "成分检测报告", Upload(f"lab-report-{lot.id}.pdf", report)
        ),
    )
