"""The API for manifests, filings and ledgers: each operation's happy path, the wrong party,
bad input naming its field, and who may read what."""

from datetime import date

import pytest
from flask_babel import refresh

from market import clock
from market.extensions import db
from market.manifests import periods
from market.manifests.models import Manifest, ManifestEventRow
from tests import ledger_factories as lf
from tests import manifest_flow as flow
from tests.functional.test_api import bearer

API = "/api/v1"
EN = {"Accept-Language": "en"}


@pytest.fixture()
def trip(world):
    return flow.trip(world)


def en(user) -> dict:
    return {**bearer(user), **EN}


def start_body(trip, **overrides) -> dict:
    body = {"declared_kg": 5000, "transporter_id": trip.carrier_id(), "packaging": "吨袋"}
    body.update(overrides)
    return body


PICKUP = {"plate": "京A12345", "driver_name": "李师傅", "driver_phone": "+86 139 1234 5678"}
RECEIPT = {"received_kg": 5000, "treatment": "utilise", "treatment_method": "再生利用"}


def test_the_whole_trip_over_the_api(client, trip):
    g, t, r = en(trip.generator), en(trip.transporter), en(trip.recycler)
    started = client.post(f"{API}/deals/{trip.deal.id}/manifests", json=start_body(trip), headers=g)
    assert started.status_code == 201, started.json
    m = started.json
    assert m["status"] == "submitted" and m["declared_kg"] == 5000
    assert m["transporter"]["id"] == trip.carrier_id() and m["waste_code"] == "ISW-17-01-01"
    mid = m["id"]
    picked = client.post(f"{API}/manifests/{mid}/pickup", json=PICKUP, headers=t)
    assert picked.status_code == 200, picked.json
    assert picked.json["status"] == "in_transit" and picked.json["driver_phone"] == "13912345678"
    assert picked.json["receipt_due_on"] is not None
    received = client.post(f"{API}/manifests/{mid}/receipt", json=RECEIPT, headers=r)
    assert received.status_code == 200, received.json
    assert received.json["status"] == "closed" and received.json["received_kg"] == 5000
    fixed = client.post(
        f"{API}/manifests/{mid}/corrections",
        json={"reason": "复磅", "received_kg": 4990},
        headers=r,
    )
    assert fixed.status_code == 200, fixed.json
    assert fixed.json["version"] == 2 and fixed.json["received_kg"] == 4990
    done = client.post(f"{API}/deals/{trip.deal.id}/complete", headers=g)
    assert done.status_code == 200, done.json
    assert done.json["status"] == "completed"
    assert done.json["payment"]["captured_yuan"] == "9980.00"  # 4,990 kg at 2,000 yuan/t


def test_the_events_carry_their_hashes_and_a_broken_chain_is_reported(client, trip):
    m = trip.pick_up(trip.start())
    h = en(trip.generator)
    reply = client.get(f"{API}/manifests/{m.id}/events", headers=h).json
    events = reply["events"]
    assert reply["chain_ok"] is True
    assert [e["event"] for e in events] == ["create", "submit", "pick_up"]
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(events, events[1:], strict=False))
    assert events[1]["data"]["declared_kg"] == 5000
    row = db.session.scalars(
        db.select(ManifestEventRow).filter_by(manifest_id=m.id, event="submit")
    ).one()
    row.note = "tampered"
    db.session.commit()
    assert client.get(f"{API}/manifests/{m.id}/events", headers=h).json["chain_ok"] is False


def test_the_list_is_the_callers_own_and_filters_by_status(client, world, trip):
    first = trip.pick_up(trip.start(2000))
    second = trip.start(1000)
    for user in (trip.generator, trip.transporter, trip.recycler, world.admin):
        page = client.get(f"{API}/manifests", headers=en(user)).json
        assert [i["id"] for i in page["items"]] == [second.id, first.id], user
    moving = client.get(f"{API}/manifests?status=in_transit", headers=en(trip.generator)).json
    assert [i["id"] for i in moving["items"]] == [first.id] and moving["total"] == 1
    for user in (world.other, world.admin_elsewhere):
        assert client.get(f"{API}/manifests", headers=en(user)).json["total"] == 0
    for query, field in (("status=lost", "status"), ("page=0", "page")):
        bad = client.get(f"{API}/manifests?{query}", headers=en(trip.generator))
        assert bad.status_code == 400 and field in bad.json["error"]["fields"]


def test_a_manifest_is_read_only_by_its_parties_and_their_park_admins(client, world, trip):
    m = trip.start()
    for user in (trip.generator, trip.transporter, trip.recycler, world.admin):
        reply = client.get(f"{API}/manifests/{m.id}", headers=en(user))
        assert reply.status_code == 200 and reply.json["number"] == m.number
    for user in (world.other, world.admin_elsewhere):
        for path in (f"/manifests/{m.id}", f"/manifests/{m.id}/events"):
            reply = client.get(f"{API}{path}", headers=en(user))
            assert reply.status_code == 404, (user, path)
            assert reply.json["error"]["message"] == "没有这张联单。"
    assert client.get(f"{API}/manifests/{m.id}").status_code == 401
    assert client.get(f"{API}/manifests/{2**40}", headers=en(trip.generator)).status_code == 404


@pytest.mark.parametrize(
    ("step", "body", "who"),
    [
        ("pickup", PICKUP, "generator"),  # only the named transporter signs pickup
        ("pickup", PICKUP, "recycler"),
        ("receipt", RECEIPT, "transporter"),
        ("reject", {"reason": "不是约定的废物", "goes_to": "generator"}, "generator"),
        ("cancel", {"reason": "改期"}, "transporter"),
        ("cancel", {"reason": "改期"}, "recycler"),
    ],
)
def test_each_signature_only_as_ones_own_party(client, trip, step, body, who):
    m = trip.start()
    if step in ("receipt", "reject"):
        trip.pick_up(m)
    reply = client.post(f"{API}/manifests/{m.id}/{step}", json=body, headers=en(getattr(trip, who)))
    assert reply.status_code == 403, reply.json
    db.session.expire_all()
    assert db.session.get(Manifest, m.id).status == ("submitted" if step in ("pickup", "cancel")
                                                     else "in_transit")  # fmt: skip


def test_strangers_get_404_and_park_admins_403_on_signing(client, world, trip):
    m = trip.start()
    reply = client.post(f"{API}/manifests/{m.id}/pickup", json=PICKUP, headers=en(world.other))
    assert reply.status_code == 404
    reply = client.post(
        f"{API}/manifests/{m.id}/cancel", json={"reason": "x"}, headers=en(world.admin)
    )
    assert reply.status_code == 403
    body = start_body(trip)
    reply = client.post(f"{API}/deals/{trip.deal.id}/manifests", json=body, headers=en(world.other))
    assert reply.status_code == 404
    reply = client.post(
        f"{API}/deals/{trip.deal.id}/manifests", json=body, headers=en(trip.recycler)
    )
    assert reply.status_code == 403
    assert (
        client.post(f"{API}/deals/{trip.deal.id}/complete", headers=en(trip.recycler)).status_code
        == 403
    )


def test_rejecting_and_cancelling(client, trip):
    load = trip.pick_up(trip.start(2000))
    body = {"reason": "混有生活垃圾", "goes_to": "generator"}
    reply = client.post(f"{API}/manifests/{load.id}/reject", json=body, headers=en(trip.recycler))
    assert reply.status_code == 200, reply.json
    assert reply.json["status"] == "rejected" and reply.json["rejected_kg"] == 2000
    later = trip.start(1000)
    h = en(trip.generator)
    reply = client.post(f"{API}/manifests/{later.id}/cancel", json={"reason": "改期"}, headers=h)
    assert reply.status_code == 200 and reply.json["status"] == "cancelled"
    again = client.post(f"{API}/manifests/{later.id}/cancel", json={"reason": "改期"}, headers=h)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("step", "body", "field"),
    [
        ("pickup", {**PICKUP, "plate": "ABC"}, "plate"),  # the service's check
        ("pickup", {**PICKUP, "driver_phone": "12"}, "driver_phone"),
        ("pickup", {**PICKUP, "picked_up_at": "tomorrow"}, "picked_up_at"),  # the schema's
        ("pickup", {"plate": "京A12345"}, "driver_name"),
        ("pickup", {**PICKUP, "speed": 1}, "speed"),
        ("receipt", {**RECEIPT, "treatment": "burn"}, "treatment"),
        ("receipt", {**RECEIPT, "received_kg": 0}, "received_kg"),
        ("receipt", {**RECEIPT, "received_kg": "5 t"}, "received_kg"),
        ("receipt", {**RECEIPT, "received_kg": 9000}, "discrepancy_note"),
        ("reject", {"reason": "", "goes_to": "generator"}, "reason"),
        ("reject", {"reason": "x", "goes_to": "other"}, "alternate_receiver_id"),
    ],
)
def test_bad_input_is_refused_naming_the_field(client, trip, step, body, field):
    m = trip.pick_up(trip.start()) if step != "pickup" else trip.start()
    who = trip.transporter if step == "pickup" else trip.recycler
    reply = client.post(f"{API}/manifests/{m.id}/{step}", json=body, headers=en(who))
    assert reply.status_code == 400, reply.json
    assert field in reply.json["error"]["fields"], reply.json


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"declared_kg": 0}, "declared_kg", 400),
        ({"declared_kg": -5}, "declared_kg", 400),
        ({"declared_kg": 50_000_000}, "declared_kg", 400),  # more than a vehicle
        ({"declared_kg": 30_000}, "declared_kg", 409),  # beyond the deal's 20 t
        ({"transporter_id": 2**31}, "transporter_id", 400),
        ({"waste_name": "x" * 81}, "waste_name", 400),
    ],
)
def test_starting_refuses_bad_input_naming_the_field(client, trip, body, field, status):
    path = f"{API}/deals/{trip.deal.id}/manifests"
    reply = client.post(path, json=start_body(trip, **body), headers=en(trip.generator))
    assert reply.status_code == status, reply.json
    assert field in reply.json["error"]["fields"], reply.json


def test_a_correction_of_anothers_field_names_it(client, trip):
    m = trip.closed()
    body = {"reason": "写错了", "received_kg": 4000}
    reply = client.post(
        f"{API}/manifests/{m.id}/corrections", json=body, headers=en(trip.generator)
    )
    assert reply.status_code == 403 and "received_kg" in reply.json["error"]["fields"]
    reply = client.post(
        f"{API}/manifests/{m.id}/corrections", json={"received_kg": 1}, headers=en(trip.recycler)
    )
    assert reply.status_code == 400 and "reason" in reply.json["error"]["fields"]


def test_completing_with_an_open_manifest_is_a_conflict(client, trip):
    trip.start()
    reply = client.post(f"{API}/deals/{trip.deal.id}/complete", headers=en(trip.generator))
    assert reply.status_code == 409


def test_refusals_are_in_the_callers_language(client, trip):
    m = trip.start()
    for language, message in (("en", "Only the named transporter signs pickup."),
                              ("zh-CN", "只有联单指定的运输单位可以签署提运。")):  # fmt: skip
        refresh()  # the tests share one app context, where Flask-Babel caches the locale
        h = {**bearer(trip.generator), "Accept-Language": language}
        reply = client.post(f"{API}/manifests/{m.id}/pickup", json=PICKUP, headers=h)
        assert reply.status_code == 403
        assert reply.json["error"]["message"] == message


# --- filings and ledgers -----------------------------------------------------------------

LAST_MONTH = periods.period_of(clock.today(), periods.Kind.MONTH).previous()


@pytest.fixture()
def monthly(world):
    lf.tier(world.generator.enterprise, "monthly", date(2020, 1, 1))
    db.session.commit()
    return world


def filing_body(**overrides) -> dict:
    body = {"waste_code": "ISW-17-01-01", "period_key": LAST_MONTH.key, "generated_kg": 1200}
    body.update(overrides)
    return body


def test_a_generator_files_a_period_and_lists_its_filings(client, monthly):
    h = en(monthly.generator)
    filed = client.post(f"{API}/filings", json=filing_body(stock_kg=300), headers=h)
    assert filed.status_code == 201, filed.json
    assert filed.json["period_key"] == LAST_MONTH.key and filed.json["generated_kg"] == 1200
    assert filed.json["filed_on"] == clock.today().isoformat()
    again = client.post(f"{API}/filings", json=filing_body(), headers=h)
    assert again.status_code == 409 and "period_key" in again.json["error"]["fields"]
    listed = client.get(f"{API}/filings", headers=h).json
    assert [f["id"] for f in listed["items"]] == [filed.json["id"]]
    assert client.get(f"{API}/filings", headers=en(monthly.other)).json["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (filing_body(period_key="march"), "period_key"),
        (filing_body(period_key="2999-01"), "period_key"),
        (filing_body(waste_code="999-999-99"), "waste_code"),
        (filing_body(generated_kg=-1), "generated_kg"),
        (filing_body(generated_kg=1.5), "generated_kg"),
        ({"waste_code": "ISW-17-01-01", "period_key": "2026-01"}, "generated_kg"),
    ],
)
def test_a_bad_filing_names_its_field(client, monthly, body, field):
    reply = client.post(f"{API}/filings", json=body, headers=en(monthly.generator))
    assert reply.status_code == 400, reply.json
    assert field in reply.json["error"]["fields"], reply.json


@pytest.mark.parametrize("who", ["recycler", "transporter", "admin"])
def test_only_generators_file(client, monthly, who):
    h = en(getattr(monthly, who))
    assert client.post(f"{API}/filings", json=filing_body(), headers=h).status_code == 403
    assert client.get(f"{API}/filings", headers=h).status_code == 403


def test_the_filing_status_is_ones_own_or_of_the_admins_park(client, monthly):
    gen = monthly.generator
    assert client.get(f"{API}/filings/status", headers=en(gen)).json["rows"] == []  # no code
    filed = client.post(f"{API}/filings", json=filing_body(), headers=en(gen)).json
    own = client.get(f"{API}/filings/status", headers=en(gen)).json
    row = next(r for r in own["rows"] if r["period_key"] == LAST_MONTH.key)
    assert row["filing_id"] == filed["id"] and row["can_file"] is False
    assert row["state"] in ("on_time", "late")  # late or not: the park's grace days decide
    query = f"{API}/filings/status?enterprise_id={gen.enterprise_id}"
    assert client.get(query, headers=en(monthly.admin)).json["rows"] == own["rows"]
    assert client.get(query, headers=en(monthly.admin_elsewhere)).status_code == 404
    assert client.get(query, headers=en(monthly.other)).status_code == 404
    missing = client.get(f"{API}/filings/status", headers=en(monthly.admin))
    assert missing.status_code == 400 and "enterprise_id" in missing.json["error"]["fields"]
    flipped = client.get(f"{API}/filings/status?start=2026-05-01&end=2026-01-01", headers=en(gen))
    assert flipped.status_code == 400 and "start" in flipped.json["error"]["fields"]
    bad = client.get(f"{API}/filings/status?end=1066-10-14", headers=en(gen))
    assert bad.status_code == 400 and "end" in bad.json["error"]["fields"]


def test_the_ledger_counts_filings_and_closed_manifests(client, monthly):
    gen = monthly.generator
    client.post(f"{API}/filings", json=filing_body(generated_kg=8000), headers=en(gen))
    trip = flow.trip(monthly)
    m = trip.closed(5000)
    day = LAST_MONTH.start
    m.picked_up_at, m.received_at = lf.at(day), lf.at(day, 15)  # moved within the filed month
    db.session.commit()
    query = f"{API}/ledger?code=ISW-17-01-01&from={day}&to={LAST_MONTH.end}"
    book = client.get(query, headers=en(gen)).json
    assert book["kind"] == "monthly" and book["start"] == day.isoformat()
    (code,) = book["codes"]
    (row,) = code["generator"]
    assert (row["generated_kg"], row["transferred_kg"], row["closing_kg"]) == (8000, 5000, 3000)
    assert row["manifest_ids"] == [m.id] and code["recycler"] == []
    theirs = client.get(query, headers=en(trip.recycler)).json["codes"][0]["recycler"]
    assert theirs[0]["received_kg"] == 5000 and theirs[0]["utilised_kg"] == 5000
    other = client.get(f"{query}&enterprise_id={gen.enterprise_id}", headers=en(monthly.other))
    assert other.status_code == 404
    admin = client.get(f"{query}&enterprise_id={gen.enterprise_id}", headers=en(monthly.admin))
    assert admin.status_code == 200 and admin.json["codes"] == book["codes"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-05-01&to=2026-01-01", "from"),
        ("from=1900-01-01", "from"),
        ("kind=daily", "kind"),
        ("from=2000-01-01&to=2100-12-31&kind=weekly", "from"),  # more than 400 periods
        ("to=soon", "to"),
    ],
)
def test_a_bad_ledger_window_names_its_field(client, monthly, query, field):
    reply = client.get(f"{API}/ledger?{query}", headers=en(monthly.generator))
    assert reply.status_code == 400, reply.json
    assert field in reply.json["error"]["fields"], reply.json


def test_a_transporter_keeps_no_ledger(client, monthly):
    assert client.get(f"{API}/ledger", headers=en(monthly.transporter)).status_code == 403
