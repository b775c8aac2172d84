"""The manifest forms turn posted fields into the services' inputs: Beijing wall-clock
times become aware UTC instants, empty optional fields become None, bad shapes are
refused by the form before any service runs."""

from datetime import UTC, datetime

from werkzeug.datastructures import MultiDict

from market.manifests import forms
from tests.manifest_flow import trip


def posted(form_class, data: dict, **kw):
    form = form_class(formdata=MultiDict(data), meta={"csrf": False}, **kw)
    return form


def test_the_start_form_offers_transporters_and_the_recycler(world):
    t = trip(world)
    form = forms.StartForm.for_deal(
        t.deal,
        formdata=MultiDict({"declared_kg": "5000", "transporter_id": str(t.carrier_id())}),
        meta={"csrf": False},
    )
    ids = [value for value, _label in form.transporter_id.choices]
    assert t.carrier_id() in ids and t.deal.recycler_id in ids
    assert form.validate(), form.errors
    data = forms.start_input(form)
    assert (data.declared_kg, data.transporter_id, data.package_count) == (5000, t.carrier_id(), 0)


def test_the_pickup_time_is_beijing_time(world):
    form = posted(
        forms.PickupForm,
        {
            "plate": " 京A12345 ",
            "driver_name": "李师傅",
            "driver_phone": "13912345678",
            "picked_up_at": "2026-11-29T08:30",
        },
    )
    assert form.validate(), form.errors
    data = forms.pickup_input(form)
    assert data.picked_up_at == datetime(2026, 11, 29, 0, 30, tzinfo=UTC)
    assert data.plate == "京A12345"


def test_the_receipt_form_gives_the_service_input(world):
    t = trip(world)
    m = t.pick_up(t.start(5_000))
    form = forms.ReceiptForm.for_manifest(
        m,
        formdata=MultiDict(
            {
                "received_kg": "4800",
                "received_at": "2026-11-29T16:00",
                "treatment": "dispose",
                "treatment_method": "焚烧",
                "rejected_kg": "",
            }
        ),
        meta={"csrf": False},
    )
    assert form.validate(), form.errors
    data = forms.receipt_input(form)
    assert (data.received_kg, data.treatment, data.treatment_method) == (4800, "dispose", "焚烧")
    assert data.rejected_kg == 0 and data.rejection_goes_to is None
    assert data.alternate_receiver_id is None
    assert data.received_at == datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def test_bad_shapes_are_refused_by_the_forms(world):
    form = posted(forms.ConsentForm, {"extra_kg": "nan"})
    assert not form.validate() and "extra_kg" in form.errors
    form = posted(
        forms.PickupForm,
        {"plate": "京A12345", "driver_name": "x", "driver_phone": "1", "picked_up_at": "yesterday"},
    )
    assert not form.validate() and "picked_up_at" in form.errors
    t = trip(world)
    m = t.pick_up(t.start(5_000))
    form = forms.ReceiptForm.for_manifest(
        m,
        formdata=MultiDict({"received_kg": "-3", "received_at": "2026-11-29T16:00"}),
        meta={"csrf": False},
    )
    assert not form.validate() and "received_kg" in form.errors


def test_the_correction_and_reject_forms(world):
    form = posted(forms.CorrectionForm, {"reason": "车牌笔误", "plate": "京B12345"})
    assert form.validate(), form.errors
    data = forms.correction_input(form)
    assert (data.plate, data.received_kg, data.treatment) == ("京B12345", None, None)
    t = trip(world)
    m = t.pick_up(t.start(5_000))
    form = forms.RejectForm.for_manifest(
        m, formdata=MultiDict({"reason": "含油", "goes_to": "generator"}), meta={"csrf": False}
    )
    assert form.validate(), form.errors
    data = forms.reject_input(form)
    assert (data.goes_to, data.alternate_receiver_id) == ("generator", None)
    assert forms.consent_kg(posted(forms.ConsentForm, {"extra_kg": "2000"})) == 2000
