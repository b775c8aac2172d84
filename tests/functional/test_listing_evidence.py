"""Listings with evidence: photos, lab reports and MSDS behind a lot, checked by content and
size, kept outside the web root, shown only to users who may see the lot, deletable by the
owner until the lot is awarded; a lot's physical form and main components."""

import html
import io
import re
from datetime import timedelta

import pytest
from flask_babel import refresh

from market import clock
from market.extensions import db
from market.listings.lifecycle import transition
from market.listings.models import ListingAttachment
from market.listings.states import ListingEvent
from tests import factories
from tests.conftest import csrf_token, login
from tests.functional.test_api import bearer, supply_body

LOGIN = "login"


def png_bytes(size=(64, 48), colour=(30, 120, 60)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "JPEG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture()
def files_dir(app, tmp_path):
    folder = tmp_path / "listing_files"
    app.config.update(LISTING_FILES_DIR=str(folder))
    yield folder
    app.config.update(
        LISTING_FILES_DIR="", LISTING_FILE_MAX_BYTES=10 << 20, LISTING_FILES_PER_LISTING=8
    )


@pytest.fixture()
def lot(world, files_dir):
    row = factories.supply(world.generator)
    db.session.commit()
    return row


def upload(
    client, lot_id, data: bytes, name="photo.png", kind="photo", caption="", kind_of="supply"
):
    token = csrf_token(client, f"/listings/{kind_of}/{lot_id}")
    return client.post(
        f"/listings/{kind_of}/{lot_id}/files",
        data={
            "csrf_token": token,
            "kind": kind,
            "caption": caption,
            "file": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def english(client) -> None:
    """The English pages (the test's request context caches the locale: drop it)."""
    client.get("/lang/en")
    refresh()


def fetch(client, path: str):
    """A file response read whole and closed (files are streamed)."""
    response = client.get(path)
    response.body = response.get_data()
    response.close()
    return response


def stored_files(folder) -> list:
    return [p for p in folder.glob("*") if p.is_file()] if folder.exists() else []


def _rows() -> int:
    return db.session.scalar(db.select(db.func.count(ListingAttachment.id)))


def test_the_owner_adds_a_photo_shown_as_a_thumbnail_on_the_lot_page(client, world, lot, files_dir):
    login(client, world.generator)
    response = upload(client, lot.id, png_bytes(), caption="仓库里的吨袋")
    assert response.status_code == 302
    row = db.session.scalars(db.select(ListingAttachment)).one()
    assert (row.kind, row.caption, row.mime) == ("photo", "仓库里的吨袋", "image/png")
    assert (files_dir / row.stored_path).is_file()  # under the configured folder, by hash
    page = client.get(f"/listings/supply/{lot.id}").get_data(as_text=True)
    assert f'src="/listings/files/{row.id}/thumb"' in page and "仓库里的吨袋" in page
    thumb = fetch(client, f"/listings/files/{row.id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert thumb.body.startswith(b"\xff\xd8\xff")
    full = fetch(client, f"/listings/files/{row.id}")
    assert full.mimetype == "image/png" and full.body == png_bytes()
    assert full.headers["Content-Disposition"].startswith("inline")
    assert full.headers["X-Content-Type-Options"] == "nosniff"


def test_a_lab_report_is_a_download_with_a_safe_name_and_no_sniffing(client, world, lot):
    login(client, world.generator)
    assert (
        upload(client, lot.id, PDF, name="../../检测报告 v2.pdf", kind="lab_report").status_code
        == 302
    )
    row = db.session.scalars(db.select(ListingAttachment)).one()
    assert row.original_name == "检测报告 v2.pdf"  # no path kept
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, world.recycler)
    page = client.get(f"/listings/supply/{lot.id}").get_data(as_text=True)
    assert "Lab report" in page or "检测报告" in page
    response = fetch(client, f"/listings/files/{row.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert "\n" not in disposition and "../" not in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert fetch(client, f"/listings/files/{row.id}/thumb").status_code == 404  # not a photo


def _error_beside(page: str, field: str) -> str:
    """The first error shown in the field's own block (up to the next label)."""
    block = page.split(f'name="{field}"', 1)[1].split("<label", 1)[0]
    match = re.search(r'<div class="invalid-feedback d-block">([^<]+)</div>', block)
    assert match, f"no error beside {field}"
    return html.unescape(match.group(1))


BAD = [
    ("a GIF", b"GIF89a" + b"\x00" * 40, "photo.gif", "photo", "file", "PNG or JPEG"),
    ("HTML", b"<html><script>alert(1)</script>", "x.png", "other", "file", "PNG or JPEG"),
    ("a zip named .pdf", b"PK\x03\x04 docx", "msds.pdf", "msds", "file", "PNG or JPEG"),
    (
        "a PNG header on junk",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        "p.png",
        "photo",
        "file",
        "damaged",
    ),
    ("an empty file", b"", "empty.pdf", "lab_report", "file", "empty"),
    ("a PDF as a photo", PDF, "photo.pdf", "photo", "file", "photo must be"),
    ("a long caption", PDF, "r.pdf", "other", "caption", "200"),
]


@pytest.mark.parametrize(
    ("what", "data", "name", "kind", "field", "says"), BAD, ids=[b[0] for b in BAD]
)
def test_a_bad_file_is_refused_beside_its_field_and_nothing_is_stored(
    client, world, lot, files_dir, what, data, name, kind, field, says
):
    login(client, world.generator)
    english(client)
    caption = "x" * 201 if field == "caption" else ""
    response = upload(client, lot.id, data, name=name, kind=kind, caption=caption)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert says in _error_beside(page, field)
    assert _rows() == 0 and stored_files(files_dir) == []


def test_no_file_chosen_says_so(client, world, lot):
    login(client, world.generator)
    english(client)
    token = csrf_token(client, f"/listings/supply/{lot.id}")
    response = client.post(
        f"/listings/supply/{lot.id}/files", data={"csrf_token": token, "kind": "photo"}
    )
    assert response.status_code == 400
    assert _error_beside(response.get_data(as_text=True), "file") == "Choose a file."
    assert _rows() == 0


def test_too_large_files_are_refused_whether_slightly_or_far_over(
    client, app, world, lot, files_dir
):
    app.config["LISTING_FILE_MAX_BYTES"] = 2000
    login(client, world.generator)
    slightly = upload(client, lot.id, PDF + b"0" * 2500, name="big.pdf", kind="other")
    assert slightly.status_code == 400
    assert "MB" in _error_beside(slightly.get_data(as_text=True), "file")
    far = upload(client, lot.id, PDF + b"0" * 200_000, name="huge.pdf", kind="other")
    assert far.status_code == 413
    assert "MB" in _error_beside(far.get_data(as_text=True), "file")
    assert _rows() == 0 and stored_files(files_dir) == []
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    anonymous = client.post(
        f"/listings/supply/{lot.id}/files",
        data={"csrf_token": csrf_token(client), "file": (io.BytesIO(b"0" * 200_000), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert anonymous.status_code == 413  # refused before anything is read, no page of the lot


def test_a_listing_holds_at_most_the_configured_number_of_files(client, app, world, lot, files_dir):
    app.config["LISTING_FILES_PER_LISTING"] = 2
    login(client, world.generator)
    assert upload(client, lot.id, png_bytes()).status_code == 302
    assert upload(client, lot.id, jpeg_bytes(), name="b.jpg").status_code == 302
    third = upload(client, lot.id, PDF, name="c.pdf", kind="msds")
    assert third.status_code == 400
    assert "2" in _error_beside(third.get_data(as_text=True), "file")
    assert _rows() == 2 and len(stored_files(files_dir)) == 2


def test_the_owner_deletes_a_file_until_the_lot_is_awarded(client, world, lot):
    login(client, world.generator)
    upload(client, lot.id, png_bytes())
    upload(client, lot.id, PDF, name="r.pdf", kind="lab_report")
    first, second = db.session.scalars(db.select(ListingAttachment).order_by(ListingAttachment.id))
    token = csrf_token(client, f"/listings/supply/{lot.id}")
    gone = client.post(f"/listings/files/{first.id}/delete", data={"csrf_token": token})
    assert gone.status_code == 302 and db.session.get(ListingAttachment, first.id) is None
    lot = db.session.merge(lot)
    transition(lot, ListingEvent.AWARD, world.generator)
    db.session.commit()
    page = client.get(f"/listings/supply/{lot.id}").get_data(as_text=True)
    assert f"/listings/files/{second.id}/delete" not in page  # no button once awarded
    assert f'action="/listings/supply/{lot.id}/files"' not in page
    kept = client.post(f"/listings/files/{second.id}/delete", data={"csrf_token": token})
    assert kept.status_code == 302
    assert db.session.get(ListingAttachment, second.id) is not None
    refused = upload(client, lot.id, png_bytes(colour=(1, 2, 3)))
    assert refused.status_code == 409 and _rows() == 1


def test_a_user_of_another_park_sees_an_open_lots_files_but_not_a_drafts(client, world, files_dir):
    from market.listings import attachments
    from market.uploads import Upload

    open_lot = factories.supply(world.generator)
    draft = factories.supply(world.generator, publish=False)
    shown = attachments.attach(
        world.generator,
        open_lot,
        attachments.AttachmentInput("photo", "", Upload("a.png", png_bytes())),
    )
    hidden = attachments.attach(
        world.generator, draft, attachments.AttachmentInput("msds", "", Upload("m.pdf", PDF))
    )
    stranger = factories.user(factories.enterprise(("recycler",), park_slug="east"))
    db.session.commit()
    login(client, stranger)
    assert fetch(client, f"/listings/files/{shown.id}").status_code == 200
    assert fetch(client, f"/listings/files/{shown.id}/thumb").status_code == 200
    assert fetch(client, f"/listings/files/{hidden.id}").status_code == 404
    assert fetch(client, "/listings/files/999999").status_code == 404
    token = csrf_token(client, "/account")
    assert (
        client.post(f"/listings/files/{shown.id}/delete", data={"csrf_token": token}).status_code
        == 403
    )


def test_anonymous_visitors_are_sent_to_log_in(client, world, lot):
    from market.listings import attachments
    from market.uploads import Upload

    row = attachments.attach(
        world.generator, lot, attachments.AttachmentInput("photo", "", Upload("a.png", png_bytes()))
    )
    db.session.commit()
    for path in (f"/listings/files/{row.id}", f"/listings/files/{row.id}/thumb"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_demand_listing_takes_attachments_too(client, world, files_dir):
    demand = factories.demand(world.recycler)
    db.session.commit()
    login(client, world.recycler)
    response = upload(
        client, demand.id, PDF, name="licence-scan.pdf", kind="other", kind_of="demand"
    )
    assert response.status_code == 302
    assert db.session.scalars(db.select(ListingAttachment)).one().demand_listing_id == demand.id


# ---- physical form and main components ------------------------------------------------


def test_physical_form_and_components_are_posted_shown_and_in_the_api(client, world):
    login(client, world.generator)
    token = csrf_token(client, "/listings/supply/new")
    form = {
        "csrf_token": token,
        "waste_code": "900-214-08",
        "title": "废机油 3 吨",
        "local_name": "废机油",
        "quantity": "3",
        "unit": "t",
        "recurrence": "once",
        "available_from": str(clock.today()),
        "available_until": str(clock.today() + timedelta(days=9)),
        "asking_price_yuan": "100",
        "bidding_mode": "open",
        "physical_form": "liquid",
        "main_components": "矿物油 85%, 水 10%",
        "publish": "1",
    }
    response = client.post("/listings/supply/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    lot_path = response.headers["Location"]
    page = client.get(lot_path).get_data(as_text=True)
    assert "矿物油 85%, 水 10%" in page and ("液态" in page or "liquid" in page)
    hall = client.get("/listings/?kind=supply").get_data(as_text=True)
    assert "矿物油 85%, 水 10%" in hall
    lot_id = int(lot_path.rsplit("/", 1)[-1])
    api = client.get(f"/api/v1/listings/supply/{lot_id}", headers=bearer(world.recycler)).json
    assert (api["physical_form"], api["main_components"]) == ("liquid", "矿物油 85%, 水 10%")


def test_an_unknown_physical_form_is_refused(client, world):
    h = bearer(world.generator)
    body = supply_body(physical_form="plasma")
    response = client.post("/api/v1/listings/supply", json=body, headers=h)
    assert response.status_code == 400 and "physical_form" in response.json["error"]["fields"]
    ok = client.post("/api/v1/listings/supply", json=supply_body(physical_form="sludge"), headers=h)
    assert ok.status_code == 201 and ok.json["physical_form"] == "sludge"


# ---- who may use each new route ---------------------------------------------------------

ROLES = ("anonymous", "generator", "recycler", "transporter", "other", "admin", "admin_elsewhere")


def _expect(row: str, **by_role):
    default = by_role.pop("default")
    return [(row, role, by_role.get(role, default)) for role in ROLES]


MATRIX = [
    *_expect("GET open lot file", anonymous=LOGIN, default=200),
    *_expect("GET open lot thumb", anonymous=LOGIN, default=200),
    *_expect("GET draft lot file", anonymous=LOGIN, generator=200, admin=200, default=404),
    *_expect("GET draft lot thumb", anonymous=LOGIN, generator=200, admin=200, default=404),
    *_expect("POST upload to open lot", anonymous=LOGIN, generator=400, default=403),
    *_expect("POST upload to draft lot", anonymous=LOGIN, generator=400, admin=403, default=404),
    *_expect("POST delete open lot file", anonymous=LOGIN, generator=302, default=403),
    *_expect("POST delete draft lot file", anonymous=LOGIN, generator=302, admin=403, default=404),
]


@pytest.fixture()
def evidence_ids(world, files_dir):
    from market.listings import attachments
    from market.uploads import Upload

    open_lot = factories.supply(world.generator)
    draft = factories.supply(world.generator, publish=False)
    ids = {"open lot": open_lot.id, "draft lot": draft.id}
    for name, lot in (("open lot", open_lot), ("draft lot", draft)):
        photo = Upload("a.png", png_bytes(colour=(lot.id % 250, 5, 5)))
        row = attachments.attach(
            world.generator, lot, attachments.AttachmentInput("photo", "", photo)
        )
        ids[f"{name} file"] = row.id
    db.session.commit()
    return ids


def _request(client, key: str, ids: dict):
    method, _, rest = key.partition(" ")
    lot = "open lot" if "open lot" in rest else "draft lot"
    file_id = ids[f"{lot} file"]
    if rest.endswith("thumb"):
        path = f"/listings/files/{file_id}/thumb"
    elif rest.startswith("upload"):
        path = f"/listings/supply/{ids[lot]}/files"
    elif rest.startswith("delete"):
        path = f"/listings/files/{file_id}/delete"
    else:
        path = f"/listings/files/{file_id}"
    if method == "GET":
        response = client.get(path)
        response.close()
        return response
    return client.post(path, data={"csrf_token": csrf_token(client, "/login")})


@pytest.mark.parametrize(
    ("key", "role", "expected"), MATRIX, ids=[f"{k} as {r}" for k, r, _ in MATRIX]
)
def test_evidence_route_access(client, world, evidence_ids, key, role, expected):
    if role != "anonymous":
        login(client, getattr(world, role))
    response = _request(client, key, evidence_ids)
    if expected == LOGIN:
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]


def test_the_matrix_covers_every_attachment_route(app):
    ours = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("attachments.")}
    assert ours == {
        "attachments.upload",
        "attachments.file",
        "attachments.thumb",
        "attachments.delete",
    }
