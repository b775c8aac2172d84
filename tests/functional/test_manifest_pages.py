"""Manifests as their users meet them: start on the deal page, sign pickup on the phone page,
sign receipt or reject, correct, print, verify; bad input beside its field, never a 500."""

import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import event

from market.db import utcnow
from market.deals.models import Deal
from market.extensions import db
from market.manifests.models import Manifest, ManifestVersion
from tests.conftest import csrf_token, login
from tests.functional.test_bad_input import zh
from tests.manifest_flow import trip

BEIJING_FORMAT = "%Y-%m-%dT%H:%M"


def errs(page: str) -> list[str]:
    """The errors a page shows beside fields and on top, for assertion messages."""
    return re.findall(r'invalid-feedback d-block">([^<]+)<', page) + re.findall(
        r"alert-danger[^>]*>\s*([^<]+)<", page
    )


def post(client, path, data=None):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/login")})


def logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def local_now(minutes: int = 0) -> str:
    from market.clock import BEIJING

    return (utcnow() + timedelta(minutes=minutes)).astimezone(BEIJING).strftime(BEIJING_FORMAT)


def start_form(t, **overrides) -> dict:
    data = {
        "declared_kg": "5000",
        "transporter_id": str(t.carrier_id()),
        "waste_name": "边角料",
        "packaging": "吨袋",
        "package_count": "5",
    }
    data.update(overrides)
    return data


def pickup_form(manifest_id: int, **overrides) -> dict:
    data = {
        "plate": "京A12345",
        "driver_name": "李师傅",
        "driver_phone": "13912345678",
        "picked_up_at": local_now(1),  # minutes only: now, rounded down, may be before submission
    }
    data.update(overrides)
    return {f"m{manifest_id}-{k}": v for k, v in data.items()}


def receipt_form(**overrides) -> dict:
    data = {
        "received_kg": "5000",
        "received_at": local_now(2),
        "treatment": "utilise",
        "treatment_method": "再生利用",
        "rejected_kg": "0",
    }
    data.update(overrides)
    return data


@pytest.fixture()
def deal_trip(world):
    return trip(world)


def test_the_whole_trip_through_the_pages(client, deal_trip):
    t = deal_trip
    login(client, t.generator)
    page = client.get(f"/deals/{t.deal.id}").get_data(as_text=True)
    assert zh("Start a manifest") in page and f"/deals/{t.deal.id}/complete" not in page
    response = post(client, f"/deals/{t.deal.id}/manifests", start_form(t))
    assert response.status_code == 302
    manifest = db.session.scalar(db.select(Manifest))
    assert response.headers["Location"].endswith(f"/manifests/{manifest.id}")
    assert (manifest.declared_kg, manifest.status) == (5000, "submitted")
    page = client.get(f"/deals/{t.deal.id}").get_data(as_text=True)
    assert manifest.number in page and "5,000 千克" in page and " kg" not in page
    logout(client)

    login(client, t.transporter)
    queue = client.get("/manifests/transport").get_data(as_text=True)
    assert manifest.number in queue and t.generator.enterprise.contact_phone in queue
    response = post(
        client, f"/manifests/{manifest.id}/pickup?from=transport", pickup_form(manifest.id)
    )
    assert response.status_code == 302, errs(response.get_data(as_text=True))
    assert response.headers["Location"].endswith(f"/manifests/transport#m{manifest.id}")
    db.session.refresh(manifest)
    assert manifest.status == "in_transit" and manifest.plate
    logout(client)

    login(client, t.recycler)
    page = client.get(f"/manifests/{manifest.id}").get_data(as_text=True)
    assert zh("Sign the receipt") in page and zh("Reject the whole load…") in page
    response = post(client, f"/manifests/{manifest.id}/receipt", receipt_form())
    assert response.status_code == 302, errs(response.get_data(as_text=True))
    db.session.refresh(manifest)
    assert manifest.status == "closed" and manifest.received_kg == 5000
    logout(client)

    login(client, t.generator)
    page = client.get(f"/deals/{t.deal.id}").get_data(as_text=True)
    assert f"/deals/{t.deal.id}/complete" in page
    response = post(client, f"/deals/{t.deal.id}/complete", {"confirm": "y"})
    assert response.status_code == 302
    deal = db.session.get(Deal, t.deal.id)
    db.session.refresh(deal)
    assert deal.status == "completed" and deal.payment.captured_fen == 5000 * 200


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"declared_kg": ""}, "declared_kg"),
        ({"declared_kg": "abc"}, "declared_kg"),
        ({"declared_kg": "-5"}, "declared_kg"),
        ({"declared_kg": "0"}, "declared_kg"),
        ({"declared_kg": "25000"}, "declared_kg"),  # the deal is 20 t
        ({"declared_kg": "1e9"}, "declared_kg"),
        ({"transporter_id": "999999"}, "transporter_id"),
        ({"transporter_id": "x"}, "transporter_id"),
        ({"package_count": "-1"}, "package_count"),
        ({"packaging": "袋" * 81}, "packaging"),
    ],
)
def test_bad_start_input_is_shown_beside_its_field(client, deal_trip, overrides, field):
    t = deal_trip
    login(client, t.generator)
    response = post(client, f"/deals/{t.deal.id}/manifests", start_form(t, **overrides))
    assert response.status_code in (400, 409)
    page = response.get_data(as_text=True)
    assert f'id="{field}"' in page and "is-invalid" in page
    assert 'value="吨袋"' in page or field == "packaging"  # what was typed stays
    assert count(Manifest) == 0


def test_the_recycler_consents_to_more_and_then_the_generator_may_declare_it(client, deal_trip):
    t = deal_trip
    login(client, t.generator)
    assert (
        post(
            client, f"/deals/{t.deal.id}/manifests", start_form(t, declared_kg="20000")
        ).status_code
        == 302
    )
    refused = post(client, f"/deals/{t.deal.id}/manifests", start_form(t, declared_kg="2000"))
    assert refused.status_code == 409 and count(Manifest) == 1
    logout(client)
    login(client, t.recycler)
    for bad in ("", "-3", "abc", "99999999999"):
        response = post(client, f"/deals/{t.deal.id}/allow-more", {"extra_kg": bad})
        assert response.status_code == 400, bad
        assert "is-invalid" in response.get_data(as_text=True)
    assert post(client, f"/deals/{t.deal.id}/allow-more", {"extra_kg": "3000"}).status_code == 302
    logout(client)
    login(client, t.generator)
    response = post(client, f"/deals/{t.deal.id}/manifests", start_form(t, declared_kg="2000"))
    assert response.status_code == 302 and count(Manifest) == 2


def test_completing_needs_the_confirmation_and_no_open_manifest(client, deal_trip):
    t = deal_trip
    manifest = t.start()
    login(client, t.generator)
    response = post(client, f"/deals/{t.deal.id}/complete", {"confirm": "y"})
    assert response.status_code == 409
    assert escape(zh("A manifest of this deal is still open; it must be received first.")) in (
        response.get_data(as_text=True)
    )
    t.receive(t.pick_up(manifest))
    response = post(client, f"/deals/{t.deal.id}/complete", {})
    assert response.status_code == 400 and zh("Tick the box to confirm.") in response.get_data(
        as_text=True
    )
    db.session.refresh(t.deal)
    assert t.deal.status == "made"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"plate": ""}, "plate"),
        ({"plate": "ABC"}, "plate"),
        ({"driver_name": ""}, "driver_name"),
        ({"driver_phone": "12"}, "driver_phone"),
        ({"picked_up_at": "yesterday"}, "picked_up_at"),
        ({"picked_up_at": local_now(24 * 60)}, "picked_up_at"),
    ],
)
def test_bad_pickup_input_is_shown_on_the_phone_page(client, deal_trip, overrides, field):
    t = deal_trip
    manifest = t.start()
    login(client, t.transporter)
    data = pickup_form(manifest.id, **overrides)
    response = post(client, f"/manifests/{manifest.id}/pickup?from=transport", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="m{manifest.id}-{field}"' in page and "is-invalid" in page
    assert "<details open" in page  # the sign-pickup flow stays open with the errors
    if field != "driver_name":
        assert 'value="李师傅"' in page
    db.session.refresh(manifest)
    assert manifest.status == "submitted"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"received_kg": ""}, "received_kg"),
        ({"received_kg": "0"}, "received_kg"),
        ({"received_kg": "-1"}, "received_kg"),
        ({"received_kg": "1.5"}, "received_kg"),
        ({"received_kg": "90000"}, "received_kg"),
        ({"received_at": "soon"}, "received_at"),
        ({"treatment": "burn"}, "treatment"),
        ({"treatment": "dispose", "treatment_method": "再生利用"}, "treatment_method"),
        ({"received_kg": "4000"}, "discrepancy_note"),  # 20 % short needs a note
        ({"received_kg": "4000", "rejected_kg": "1000"}, "rejection_reason"),
    ],
)
def test_bad_receipt_input_is_shown_beside_its_field(client, deal_trip, overrides, field):
    t = deal_trip
    manifest = t.pick_up(t.start())
    login(client, t.recycler)
    response = post(client, f"/manifests/{manifest.id}/receipt", receipt_form(**overrides))
    assert response.status_code in (400, 409)
    page = response.get_data(as_text=True)
    assert f'id="{field}"' in page and "is-invalid" in page
    db.session.refresh(manifest)
    assert manifest.status == "in_transit"


def test_the_receiver_rejects_the_whole_load_with_a_reason(client, deal_trip):
    t = deal_trip
    manifest = t.pick_up(t.start())
    login(client, t.recycler)
    response = post(
        client, f"/manifests/{manifest.id}/reject", {"reason": "", "goes_to": "generator"}
    )
    assert response.status_code == 400
    assert '<details class="mt-3" open' in response.get_data(as_text=True)
    response = post(
        client, f"/manifests/{manifest.id}/reject", {"reason": "混有油泥", "goes_to": "generator"}
    )
    assert response.status_code == 302
    db.session.refresh(manifest)
    assert manifest.status == "rejected" and manifest.rejection_reason == "混有油泥"


def test_a_closed_manifest_is_corrected_as_a_new_version(client, deal_trip):
    t = deal_trip
    manifest = t.receive(t.pick_up(t.start()))
    login(client, t.recycler)
    response = post(
        client, f"/manifests/{manifest.id}/correct", {"reason": "", "received_kg": "4990"}
    )
    assert response.status_code == 400 and count(ManifestVersion) == 1
    response = post(
        client, f"/manifests/{manifest.id}/correct", {"reason": "复磅", "received_kg": "4990"}
    )
    assert response.status_code == 302
    page = client.get(f"/manifests/{manifest.id}").get_data(as_text=True)
    assert "复磅" in page and "4,990 千克" in page and "5,000 千克" in page
    logout(client)
    login(client, t.transporter)  # a transporter corrects only what it signed
    response = post(
        client, f"/manifests/{manifest.id}/correct", {"reason": "改", "received_kg": "4000"}
    )
    assert response.status_code == 403
    assert "is-invalid" in response.get_data(as_text=True)


def test_a_correction_after_settlement_says_the_payment_stays(client, deal_trip):
    t = deal_trip
    manifest = t.receive(t.pick_up(t.start()))
    notice = zh(
        "The deal is already settled on the received total: a corrected received weight is"
        " recorded and shown to both parties, but it does not change the payment."
    )
    login(client, t.recycler)
    assert notice not in client.get(f"/manifests/{manifest.id}").get_data(as_text=True)
    logout(client)
    login(client, t.generator)
    assert post(client, f"/deals/{t.deal.id}/complete", {"confirm": "y"}).status_code == 302
    db.session.refresh(t.deal)
    assert t.deal.status == "completed"
    logout(client)
    login(client, t.recycler)
    assert notice in client.get(f"/manifests/{manifest.id}").get_data(as_text=True)


def test_the_generator_cancels_before_pickup(client, deal_trip):
    t = deal_trip
    manifest = t.start()
    login(client, t.generator)
    assert post(client, f"/manifests/{manifest.id}/cancel", {"note": ""}).status_code == 400
    response = post(client, f"/manifests/{manifest.id}/cancel", {"note": "车辆故障"})
    assert response.status_code == 302
    db.session.refresh(manifest)
    assert manifest.status == "cancelled"


def test_manifest_page_shows_parties_signatures_due_rule_and_chain(client, deal_trip):
    t = deal_trip
    manifest = t.pick_up(t.start())
    login(client, t.generator)
    page = client.get(f"/manifests/{manifest.id}").get_data(as_text=True)
    for text in (
        t.generator.enterprise.name,
        t.transporter.enterprise.name,
        t.recycler.enterprise.name,
        manifest.receipt_due_on.isoformat(),
        zh("official calendar"),
        zh("Intact: every signature links to the one before."),
        "京A12345",
    ):
        assert str(text) in page, text
    assert zh("Sign the receipt") not in page  # the generator does not receive


def test_print_page_and_pdf(client, deal_trip):
    t = deal_trip
    manifest = t.start()
    login(client, t.generator)
    page = client.get(f"/manifests/{manifest.id}/print").get_data(as_text=True)
    assert manifest.number in page and f"/v/{manifest.verify_token}" in page
    response = client.get(f"/manifests/{manifest.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_the_public_page_verifies_and_shows_nothing_private(client, deal_trip):
    t = deal_trip
    manifest = t.pick_up(t.start())
    response = client.get(f"/v/{manifest.verify_token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert manifest.number in page and t.generator.enterprise.name in page
    assert zh("Verified: this manifest's record chain is intact.").split("：")[0] in page
    for private in ("13912345678", "京A12345", "李师傅", t.generator.enterprise.contact_phone):
        assert private not in page
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("token", ["short", "x" * 44, "a" * 42 + "!", "%00" * 15])
def test_a_malformed_token_is_404_without_touching_the_database(client, app, token):
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = client.get(f"/v/{token}")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert response.status_code == 404
    assert [s for s in statements if "manifests" in s] == []


def test_an_unknown_token_is_404(client, world):
    assert client.get("/v/" + "A" * 43).status_code == 404


def test_the_verification_page_is_rate_limited(client, app, world):
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [client.get("/v/" + "B" * 43).status_code for _ in range(4)]
    finally:
        app.config.pop("VERIFY_RATE_LIMIT")
    assert codes == [404, 404, 404, 429]


def test_lists_filter_by_status_and_admins_see_the_park(client, world, deal_trip):
    t = deal_trip
    first = t.start()
    second = t.pick_up(t.start(2000))
    login(client, t.transporter)
    page = client.get("/manifests/?status=in_transit").get_data(as_text=True)
    row = '<td class="font-monospace small"><a href="/manifests/{}">'
    assert row.format(second.id) in page and row.format(first.id) not in page
    assert client.get("/manifests/?status=nonsense").status_code == 200
    assert client.get("/manifests/?page=abc").status_code == 200
    logout(client)
    login(client, world.admin)
    page = client.get("/manifests/").get_data(as_text=True)
    assert first.number in page and second.number in page
    logout(client)
    login(client, world.admin_elsewhere)
    assert first.number not in client.get("/manifests/").get_data(as_text=True)


def test_the_menu_counts_what_waits(client, deal_trip):
    t = deal_trip
    t.start()
    login(client, t.transporter)
    page = client.get("/").get_data(as_text=True)
    assert zh("My pickups") in page
    assert 'href="/manifests/transport">' + zh("My pickups") + ' <span class="badge' in page


def test_reading_a_late_manifest_flags_it_overdue(client, deal_trip, monkeypatch):
    from market import clock

    t = deal_trip
    manifest = t.pick_up(t.start())
    due = manifest.receipt_due_on
    login(client, t.generator)
    assert zh("overdue") not in client.get(f"/manifests/{manifest.id}").get_data(as_text=True)
    monkeypatch.setattr(clock, "today", lambda zone=clock.BEIJING: due + timedelta(days=1))
    page = client.get(f"/manifests/{manifest.id}").get_data(as_text=True)
    db.session.refresh(manifest)
    assert manifest.overdue and zh("overdue") in page
    assert zh("Intact: every signature links to the one before.") in page


def test_the_park_administrator_lists_discrepant_manifests(client, world, deal_trip):
    t = deal_trip
    short = t.receive(t.pick_up(t.start()), 4_000, discrepancy_note="含水率高")
    fine = t.receive(t.pick_up(t.start()))
    login(client, world.admin)
    page = client.get("/admin/manifests/flagged?flag=discrepant").get_data(as_text=True)
    assert short.number in page and fine.number not in page
    assert client.get("/admin/manifests/flagged?flag=nonsense").status_code == 200
    logout(client)
    login(client, world.admin_elsewhere)
    assert short.number not in client.get("/admin/manifests/flagged").get_data(as_text=True)
