"""The manifest lifecycle through its services: start, pickup, receipt, rejection,
cancellation and corrections, each step on the hash chain and in the parties' inboxes,
and every refusal a clear 4xx that changes nothing."""

import json
from datetime import date, timedelta

import pytest

from market.db import utcnow
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.inbox.models import Message
from market.inbox.services import wording
from market.manifests import numbering, queries
from market.manifests import services as svc
from market.manifests.models import (
    Manifest,
    ManifestEventRow,
    ManifestVersion,
    ParkManifestSettings,
)
from tests import factories
from tests.manifest_flow import pickup_input, receipt_input, trip


def kinds_for(enterprise_id: int) -> list[str]:
    return list(
        db.session.scalars(
            db.select(Message.kind).filter_by(enterprise_id=enterprise_id).order_by(Message.id)
        )
    )


def events(manifest) -> list[str]:
    return [e.event for e in queries.history(manifest)]


def event_count() -> int:
    return db.session.scalar(db.select(db.func.count(ManifestEventRow.id)))


def unchanged(manifest: Manifest):
    """The row and its chain as they are; compare after a refusal."""
    db.session.rollback()
    db.session.refresh(manifest)
    return (manifest.status, manifest.version, manifest.head_hash, event_count())


def test_a_manifest_goes_from_start_to_closed(world):
    t = trip(world)
    m = t.start(5_000, packaging="吨袋", package_count=5)
    assert m.status == "submitted" and m.receiver_id == t.deal.recycler_id
    assert numbering.parse_number(m.number) == (m.year, "110115", 1)
    assert m.waste_name == "边角料" and len(m.verify_token) == 43
    assert "manifest_submitted" in kinds_for(t.transporter.enterprise_id)
    assert "manifest_submitted" in kinds_for(t.deal.recycler_id)
    t.pick_up(m, plate="京a·12345")
    assert (m.status, m.plate) == ("in_transit", "京A12345")
    assert m.receipt_due_on > m.picked_up_at.date()
    assert m.receipt_due_rule in ("official", "park_list", "mixed")
    assert "manifest_picked_up" in kinds_for(t.generator.enterprise_id)
    t.receive(m, 4_900)
    assert (m.status, m.received_kg, m.discrepant) == ("closed", 4_900, False)
    assert m.closed_at is not None and m.treatment == "utilise"
    assert events(m) == ["create", "submit", "pick_up", "receive", "close"]
    assert queries.chain_ok(m)
    assert [v.version for v in queries.versions(m)] == [1]
    assert "manifest_received" in kinds_for(t.generator.enterprise_id)
    assert "manifest_received" in kinds_for(t.transporter.enterprise_id)


def test_serials_count_up_per_region_and_year(world):
    t = trip(world)
    numbers = [t.start(1_000).number for _ in range(3)]
    assert [numbering.parse_number(n).serial for n in numbers] == [1, 2, 3]


def test_each_signature_records_what_the_signer_saw(world):
    t = trip(world)
    m = t.pick_up(t.start(5_000, packaging="桶装", package_count=25))
    rows = queries.history(m)
    submit = json.loads(rows[1].content)
    assert submit["declared_kg"] == 5_000 and submit["packaging"] == "桶装"
    assert submit["transporter"] == t.carrier_id() and submit["waste_code"] == "ISW-17-01-01"
    assert rows[1].actor_id == t.generator.id
    pickup = json.loads(rows[2].content)
    assert pickup["plate"] == "京A12345" and pickup["signed_by"] == t.transporter.id
    assert rows[2].prev_hash == rows[1].hash and m.head_hash == rows[2].hash


def test_the_recycler_may_collect_itself(world):
    t = trip(world)
    data = svc.StartInput(declared_kg=2_000, transporter_id=t.deal.recycler_id)
    m = svc.start_manifest(t.generator, t.deal.id, data)
    db.session.commit()
    svc.sign_pickup(t.recycler, m.id, pickup_input(plate="鲁AD12345"))
    svc.sign_receipt(t.recycler, m.id, receipt_input(2_000))
    db.session.commit()
    assert m.status == "closed" and m.plate == "鲁AD12345"


def test_a_transporter_must_have_the_role(world):
    t = trip(world)
    data = svc.StartInput(declared_kg=2_000, transporter_id=world.other.enterprise_id)
    with pytest.raises(DomainError) as err:
        svc.start_manifest(t.generator, t.deal.id, data)
    assert err.value.field == "transporter_id"
    with pytest.raises(DomainError):
        svc.start_manifest(t.generator, t.deal.id, svc.StartInput(2_000, 999_999))


def test_declared_total_may_not_pass_the_deal_without_consent(world):
    t = trip(world, quantity="10")
    t.start(6_000)
    with pytest.raises(Conflict) as err:
        t.start(5_000)
    assert err.value.field == "declared_kg" and "10000" in err.value.message
    with pytest.raises(Forbidden):
        svc.allow_excess(t.generator, t.deal.id, 2_000)
    svc.allow_excess(t.recycler, t.deal.id, 2_000)
    db.session.commit()
    assert "deal_excess_allowed" in kinds_for(t.generator.enterprise_id)
    m = t.start(5_000)
    assert m.over_deal_consent_id == t.recycler.id
    with pytest.raises(Conflict):
        t.start(2_000)  # 11 t + 2 t > 12 t
    with pytest.raises(Conflict):
        svc.allow_excess(t.recycler, t.deal.id, 500)  # 1 t is already declared beyond
    with pytest.raises(DomainError):
        svc.allow_excess(t.recycler, t.deal.id, -1)


def test_a_cancelled_or_rejected_manifest_frees_its_declared_weight(world):
    t = trip(world, quantity="10")
    first = t.start(10_000)
    with pytest.raises(DomainError) as err:
        svc.cancel_manifest(t.generator, first.id, "")  # a reason is needed
    assert err.value.field == "reason"
    db.session.rollback()
    svc.cancel_manifest(t.generator, first.id, "车辆故障")
    db.session.commit()
    assert first.status == "cancelled" and events(first)[-1] == "cancel"
    assert "manifest_cancelled" in kinds_for(t.carrier_id())
    second = t.pick_up(t.start(10_000))
    with pytest.raises(Conflict):
        svc.cancel_manifest(t.generator, second.id, "太晚")  # only before pickup
    svc.reject_manifest(t.recycler, second.id, svc.RejectInput("含油", "generator"))
    db.session.commit()
    assert second.status == "rejected" and second.rejected_kg == 10_000
    assert "manifest_rejected" in kinds_for(t.generator.enterprise_id)
    assert t.start(10_000).status == "submitted"


def test_who_may_start_a_manifest(world):
    t = trip(world)
    data = svc.StartInput(declared_kg=1_000, transporter_id=t.carrier_id())
    with pytest.raises(Forbidden):
        svc.start_manifest(t.recycler, t.deal.id, data)
    with pytest.raises(NotFound):
        svc.start_manifest(world.other, t.deal.id, data)  # someone else's deal
    with pytest.raises(NotFound):
        svc.start_manifest(t.generator, 999_999, data)
    assert db.session.scalar(db.select(db.func.count(Manifest.id))) == 0


@pytest.mark.parametrize("kg", [0, -5, float("nan"), 5.5, 1_000_000, True, "5000"])
def test_impossible_declared_weights_are_refused(world, kg):
    t = trip(world)
    with pytest.raises(DomainError) as err:
        t.start(kg)
    assert err.value.field == "declared_kg" and err.value.status == 400


def test_signing_as_the_wrong_party_or_out_of_turn(world):
    t = trip(world)
    m = t.start(5_000)
    before = unchanged(m)
    with pytest.raises(Forbidden):
        svc.sign_pickup(t.generator, m.id, pickup_input())
    with pytest.raises(NotFound):
        svc.sign_pickup(world.other, m.id, pickup_input())
    with pytest.raises(Forbidden):
        svc.sign_pickup(world.admin, m.id, pickup_input())
    with pytest.raises(Conflict):
        svc.sign_receipt(t.recycler, m.id, receipt_input(5_000))  # skipping pickup
    assert unchanged(m) == before
    t.pick_up(m)
    before = unchanged(m)
    with pytest.raises(Conflict):
        svc.sign_pickup(t.transporter, m.id, pickup_input())  # twice
    with pytest.raises(Forbidden):
        svc.sign_receipt(t.transporter, m.id, receipt_input(5_000))
    assert unchanged(m) == before
    t.receive(m)
    with pytest.raises(Conflict):
        svc.sign_receipt(t.recycler, m.id, receipt_input(5_000))
    with pytest.raises(Conflict):
        svc.reject_manifest(t.recycler, m.id, svc.RejectInput("晚了", "generator"))


@pytest.mark.parametrize(
    "plate",
    ["", "京A1234", "京I12345", "学A12345", "AB12345", "京A12345学", "京AX12345", "京A1234O"],
)
def test_bad_plates_are_refused_with_the_field(world, plate):
    t = trip(world)
    m = t.start(5_000)
    with pytest.raises(DomainError) as err:
        svc.sign_pickup(t.transporter, m.id, pickup_input(plate=plate))
    assert err.value.field == "plate" and err.value.message
    assert unchanged(m)[0] == "submitted"


@pytest.mark.parametrize("plate", ["京A12345", "粤BD12345", "沪A12345F", "鲁A1234挂", "京ａ12345"])
def test_plates_of_every_kind_are_accepted(world, plate):
    t = trip(world)
    assert t.pick_up(t.start(5_000), plate=plate).status == "in_transit"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"picked_up_at": utcnow() + timedelta(hours=2)}, "picked_up_at"),
        ({"picked_up_at": utcnow() - timedelta(days=3)}, "picked_up_at"),
        ({"picked_up_at": utcnow().replace(tzinfo=None)}, "picked_up_at"),
        ({"driver_phone": "12345"}, "driver_phone"),
        ({"driver_name": "  "}, "driver_name"),
    ],
)
def test_bad_pickup_data_is_refused(world, change, field):
    t = trip(world)
    m = t.start(5_000)
    with pytest.raises(DomainError) as err:
        svc.sign_pickup(t.transporter, m.id, pickup_input(**change))
    assert err.value.field == field


@pytest.mark.parametrize(
    "change, field",
    [
        ({"received_kg": 0}, "received_kg"),
        ({"received_kg": -1}, "received_kg"),
        ({"received_kg": float("nan")}, "received_kg"),
        ({"received_kg": 5_000_000}, "received_kg"),
        ({"received_at": utcnow() + timedelta(hours=1)}, "received_at"),
        ({"received_at": utcnow() - timedelta(days=2)}, "received_at"),
        ({"treatment": "burn"}, "treatment"),
        ({"treatment_method": "填埋"}, "treatment_method"),  # a disposal way for utilisation
        ({"rejected_kg": 500}, "rejection_reason"),
        ({"rejected_kg": 500, "rejection_reason": "油污"}, "rejection_goes_to"),
        (
            {"rejected_kg": 500, "rejection_reason": "油污", "rejection_goes_to": "other"},
            "alternate_receiver_id",
        ),
        ({"rejected_kg": -3}, "rejected_kg"),
    ],
)
def test_bad_receipts_are_refused_and_change_nothing(world, change, field):
    t = trip(world)
    m = t.pick_up(t.start(5_000))
    before = unchanged(m)
    kg = change.pop("received_kg", 5_000)
    with pytest.raises(DomainError) as err:
        svc.sign_receipt(t.recycler, m.id, receipt_input(kg, **change))
    assert err.value.field == field
    assert unchanged(m) == before


def test_a_weight_beyond_the_tolerance_needs_a_note_and_is_flagged(world):
    t = trip(world)
    m = t.pick_up(t.start(5_000))
    with pytest.raises(DomainError) as err:
        svc.sign_receipt(t.recycler, m.id, receipt_input(4_700))  # -6 %
    assert err.value.field == "discrepancy_note"
    db.session.rollback()
    t.receive(m, 4_700, discrepancy_note="含水率偏高")
    assert m.discrepant and m.discrepancy_note == "含水率偏高" and m.status == "closed"
    assert events(m) == ["create", "submit", "pick_up", "receive", "explain_discrepancy", "close"]
    for side in (t.generator.enterprise_id, t.deal.recycler_id):
        assert "manifest_discrepancy" in kinds_for(side)
    assert queries.discrepant_in_park(m.park_id) == [m]
    assert queries.discrepant_in_park(factories.park("east").id) == []


def test_exactly_the_tolerance_is_no_discrepancy_and_the_park_sets_it(world):
    t = trip(world)
    assert not t.closed(5_000, 4_750).discrepant  # -5 % exactly
    db.session.add(ParkManifestSettings(park_id=factories.park().id, tolerance_pct=2))
    db.session.commit()
    with pytest.raises(DomainError):
        t.receive(t.pick_up(t.start(5_000)), 4_850)  # -3 % > 2 %


def test_a_partial_rejection_goes_to_another_receiver(world):
    t = trip(world)
    other = factories.bidder()
    m = t.pick_up(t.start(5_000))
    form = dict(
        rejected_kg=800,
        rejection_reason="混入杂物",
        rejection_goes_to="other",
        alternate_receiver_id=other.enterprise_id,
    )
    t.receive(m, 4_200, **form)
    assert (m.status, m.received_kg, m.rejected_kg) == ("closed", 4_200, 800)
    assert m.alternate_receiver_id == other.enterprise_id and not m.discrepant
    assert events(m)[-2:] == ["receive_part", "close"]
    assert "manifest_rejected" in kinds_for(t.generator.enterprise_id)
    assert other.enterprise_id in [e.id for e in queries.other_receivers(m)]


def test_a_receipt_past_its_due_date_is_flagged_overdue(world, monkeypatch):
    t = trip(world)
    m = t.pick_up(t.start(5_000))
    assert svc.mark_overdue() == 0 and not queries.is_overdue(m)
    later = m.receipt_due_on + timedelta(days=1)
    assert queries.is_overdue(m, later)
    assert svc.mark_overdue(later) == 1
    db.session.commit()
    assert m.overdue and m.status == "in_transit" and events(m)[-1] == "mark_overdue"
    assert svc.mark_overdue(later) == 0  # once
    for side in (t.generator.enterprise_id, t.carrier_id(), t.deal.recycler_id):
        assert "manifest_overdue" in kinds_for(side)
    assert queries.discrepant_in_park(m.park_id) == [m]
    t.receive(m)
    assert m.status == "closed" and m.overdue and queries.chain_ok(m)


def test_the_due_date_counts_working_days_with_the_parks_list(world, monkeypatch):
    from datetime import UTC, datetime

    from market import clock
    from market.manifests.models import ParkCalendarDay

    t = trip(world)
    m = t.start(5_000)
    # 2027 is beyond the official calendar the package knows: weekdays plus the park's list.
    db.session.add(ParkCalendarDay(park_id=m.park_id, day=date(2027, 1, 4), kind="holiday"))
    db.session.commit()
    friday = datetime(2027, 1, 1, 2, 0, tzinfo=UTC)  # Friday 10:00 in Beijing
    monkeypatch.setattr(clock, "now", lambda: friday + timedelta(minutes=5))
    m.submitted_at = friday - timedelta(hours=1)
    db.session.commit()
    t.pick_up(m, picked_up_at=friday)
    # Mon 4 Jan is the park's holiday: 5, 6, 7, 8, 11 January are the five working days.
    assert (m.receipt_due_on, m.receipt_due_rule) == (date(2027, 1, 11), "park_list")


def test_corrections_make_new_versions_and_tell_the_others(world):
    t = trip(world)
    m = t.closed(5_000, 5_000)
    with pytest.raises(Forbidden):
        svc.correct_manifest(t.recycler, m.id, svc.CorrectionInput("改车牌", plate="京B12345"))
    svc.correct_manifest(t.transporter, m.id, svc.CorrectionInput("车牌笔误", plate="京B12345"))
    svc.correct_manifest(t.recycler, m.id, svc.CorrectionInput("复磅", received_kg=4_980))
    db.session.commit()
    assert (m.version, m.plate, m.received_kg) == (3, "京B12345", 4_980)
    versions = queries.versions(m)
    assert [v.version for v in versions] == [1, 2, 3]
    assert json.loads(versions[0].data)["plate"] == "京A12345"  # version 1 stays as it was
    assert json.loads(versions[1].data)["plate"] == "京B12345"
    assert json.loads(versions[2].data)["received_kg"] == 4_980
    assert events(m)[-2:] == ["correct", "correct"] and queries.chain_ok(m)
    assert "manifest_corrected" in kinds_for(t.generator.enterprise_id)
    with pytest.raises(DomainError):
        svc.correct_manifest(t.recycler, m.id, svc.CorrectionInput("无", received_kg=4_980))
    with pytest.raises(DomainError):
        svc.correct_manifest(t.recycler, m.id, svc.CorrectionInput("", received_kg=4_000))
    with pytest.raises(NotFound):
        svc.correct_manifest(world.other, m.id, svc.CorrectionInput("x", received_kg=4_000))


def test_a_correction_of_an_open_manifest_is_refused(world):
    t = trip(world)
    m = t.pick_up(t.start(5_000))
    before = unchanged(m)
    with pytest.raises(Conflict):
        svc.correct_manifest(t.transporter, m.id, svc.CorrectionInput("笔误", plate="京B12345"))
    assert unchanged(m) == before
    assert db.session.scalar(db.select(db.func.count(ManifestVersion.id))) == 0


def test_a_correction_beyond_the_tolerance_flags_a_discrepancy(world):
    t = trip(world)
    m = t.closed(5_000, 5_000)
    svc.correct_manifest(t.recycler, m.id, svc.CorrectionInput("地磅校准后复称", received_kg=4_000))
    db.session.commit()
    assert m.discrepant and m.discrepancy_note == "地磅校准后复称"


def test_every_manifest_message_has_words(world):
    t = trip(world)
    m = t.pick_up(t.start(5_000))
    t.receive(m, 4_000, discrepancy_note="少")
    svc.mark_overdue()
    texts = [wording(msg) for msg in db.session.scalars(db.select(Message))]
    kinds = {msg.kind for msg in db.session.scalars(db.select(Message))}
    assert {"manifest_submitted", "manifest_picked_up", "manifest_received"} <= kinds
    assert all(text and not text.startswith("manifest_") for text in texts)
    assert any(m.number in text for text in texts)


def test_reads_for_the_pages(world):
    t = trip(world)
    m = t.start(5_000)
    assert queries.awaiting(t.transporter) == [m] and queries.transporter_queue(t.transporter)
    assert queries.awaiting(t.recycler) == []
    t.pick_up(m)
    assert queries.awaiting(t.recycler) == [m] and queries.awaiting(t.transporter) == []
    assert queries.by_token(m.verify_token) == m and queries.by_token("x" * 43) is None
    assert queries.by_token("not a token") is None
    for user in (t.generator, t.transporter, t.recycler, world.admin):
        assert queries.may_see(user, m)
        assert m in db.session.scalars(queries.manifests_for(user)).all()
    for user in (world.other, world.admin_elsewhere):
        assert not queries.may_see(user, m)
        assert m not in db.session.scalars(queries.manifests_for(user)).all()
    totals = queries.deal_totals(t.deal)
    assert (totals.declared_kg, totals.open_count, totals.remaining_kg) == (5_000, 1, 15_000)
    assert t.deal.recycler in queries.transporters(m.park_id, t.deal)
    assert world.transporter.enterprise in queries.transporters(m.park_id)


def test_reading_a_late_manifest_flags_it(world, monkeypatch):
    from market import clock

    t = trip(world)
    m = t.pick_up(t.start(5_000))
    assert not svc.refresh_overdue(m.id).overdue
    late = m.receipt_due_on + timedelta(days=1)
    monkeypatch.setattr(clock, "today", lambda zone=None: late)
    assert svc.refresh_overdue(m.id).overdue
    db.session.commit()
    assert events(m)[-1] == "mark_overdue" and queries.chain_ok(m)
    with pytest.raises(NotFound):
        svc.refresh_overdue(999_999)


def test_a_deal_with_manifests_is_completed_not_cancelled(world):
    from market.deals import services as deals

    t = trip(world)
    m = t.start(5_000)
    with pytest.raises(Conflict):
        deals.cancel_deal(t.generator, t.deal.id)
    db.session.rollback()
    svc.cancel_manifest(t.generator, m.id, "计划变更")
    db.session.commit()
    deals.cancel_deal(t.generator, t.deal.id)
    db.session.commit()
    assert t.deal.status == "cancelled"


@pytest.mark.parametrize(
    "phone, stored",
    [
        ("+86 139 1234 5678", "13912345678"),
        ("010-12345678", "010-12345678"),
        ("(0531)8888888", "05318888888"),
    ],
)
def test_driver_phones_are_normalised(world, phone, stored):
    t = trip(world)
    assert t.pick_up(t.start(5_000), driver_phone=phone).driver_phone == stored
