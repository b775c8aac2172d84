"""Demo licence review and suspension: the named recycler's renewed licence awaits the
park administrator's review (with its document), another recycler's was rejected with a
reason, and one transporter is suspended. Uses no random numbers (the rest of the demo
stays as it was)."""

from datetime import timedelta

from market.accounts import licences
from market.accounts.models import Enterprise, User
from market.accounts.services import LicenceInput, add_licence
from market.extensions import db
from market.uploads import Upload

# A one-page PDF saying what it stands for (the demo has no real scans).
DOCUMENT = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 58>>stream\nBT /F1 24 Tf 72 760 Td (Demo licence document) Tj ET\n"
    b"endstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _renewal(user: User, today) -> LicenceInput:
    current = user.enterprise.licences[0]
    return LicenceInput(
        number=f"{current.number}-R",
        codes=[c.code for c in current.codes],
        capacity_kg_per_year=current.capacity_kg_per_year,
        valid_from=today,
        valid_until=today + timedelta(days=5 * 365),
    )


def seed_reviews(admin: User, recycler: User, others: list[Enterprise], transporters, today):
    licences.submit_licence(recycler, _renewal(recycler, today), Upload("许可证.pdf", DOCUMENT))
    other = next(e for e in others if e.id != recycler.enterprise_id and e.licences)
    rejected = add_licence(other, _renewal(other.users[0], today))
    rejected.document_name = "许可证扫描件.pdf"
    stored = licences.DOCUMENTS.store(Upload("scan.pdf", DOCUMENT))
    rejected.document_path, rejected.document_mime = stored.stored_path, stored.mime
    rejected.document_size = stored.size_bytes
    licences.reject_licence(
        admin, rejected, "扫描件不清晰，有效期一栏无法辨认；请上传许可证正本的清晰照片。"
    )
    if len(transporters) > 1:  # never the named demo transporter (the first)
        licences.suspend_enterprise(
            admin, transporters[-1].id, "危险货物道路运输许可证已过期，续证前暂停接单。"
        )
    db.session.flush()
