"""A manifest start sent again — a double click, a retry after an answer lost to a network
or database cut — makes one manifest, not two: the form carries a request key made with
it, the API takes an idempotency key (body or `Idempotency-Key` header)."""

import re

import pytest

from market.errors import Conflict, DomainError
from market.extensions import db
from market.manifests import services as svc
from market.manifests.models import Manifest, ManifestEventRow
from tests.conftest import login
from tests.functional.test_api_manifests import API, en, start_body
from tests.functional.test_manifest_pages import count, post, start_form
from tests.manifest_flow import trip

KEY = "0b6f3e1c-7d2a-4c1e-9f00-5a1d2c3b4e5f"


@pytest.fixture()
def t(world):
    return trip(world, quantity="20")


def test_the_service_answers_a_key_sent_again_with_the_manifest_it_started(t):
    first = t.start(5_000, request_key=KEY)
    assert not first.replayed and first.start_key == KEY
    events = count(ManifestEventRow)
    again = t.start(5_000, request_key=KEY)
    assert again.id == first.id and again.replayed
    assert count(Manifest) == 1 and count(ManifestEventRow) == events  # nothing written
    other = t.start(5_000, request_key=KEY.replace("0b6f", "1b6f"))  # a new key: a new trip
    assert other.id != first.id and count(Manifest) == 2
    assert t.start(5_000).id not in (first.id, other.id)  # no key: as before, a new one


def test_a_key_sent_again_with_other_values_is_refused_and_changes_nothing(t):
    first = t.start(5_000, request_key=KEY)
    for changed in ({"declared_kg": 6_000}, {"packaging": "散装"}, {"package_count": 3}):
        data = svc.StartInput(**{"declared_kg": 5_000, "transporter_id": t.carrier_id(),
                                 "request_key": KEY, **changed})  # fmt: skip
        with pytest.raises(Conflict) as refused:
            svc.start_manifest(t.generator, t.deal.id, data)
        assert first.number in refused.value.message and refused.value.field == "request_key"
        db.session.rollback()
    assert count(Manifest) == 1


@pytest.mark.parametrize(
    "key", ["short", "x" * 65, "has space in it", "键键键键键键键键", 12345678]
)
def test_a_malformed_key_is_refused_before_anything_is_written(t, key):
    with pytest.raises(DomainError) as refused:
        t.start(5_000, request_key=key)
    assert refused.value.field == "request_key"
    db.session.rollback()
    assert count(Manifest) == 0


def test_the_key_of_another_deal_is_not_found_there(t, world):
    t.start(5_000, request_key=KEY)
    second = trip(world, quantity="20")
    assert second.start(5_000, request_key=KEY).replayed is False  # keys are per deal
    assert count(Manifest) == 2


def test_the_api_answers_a_retried_start_once_with_201_then_200(client, t):
    g = en(t.generator)
    url = f"{API}/deals/{t.deal.id}/manifests"
    first = client.post(url, json=start_body(t), headers={**g, "Idempotency-Key": KEY})
    assert first.status_code == 201, first.json
    assert "Idempotent-Replayed" not in first.headers
    again = client.post(url, json=start_body(t), headers={**g, "Idempotency-Key": KEY})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"] and again.json["number"] == first.json["number"]
    in_body = client.post(url, json=start_body(t, request_key=KEY), headers=g)  # same key, body
    assert in_body.status_code == 200 and in_body.json["id"] == first.json["id"]
    changed = client.post(url, json=start_body(t, declared_kg=4000),
                          headers={**g, "Idempotency-Key": KEY})  # fmt: skip
    assert changed.status_code == 409
    assert first.json["number"] in changed.json["error"]["message"]
    both = client.post(url, json=start_body(t, request_key=KEY + "x"),
                       headers={**g, "Idempotency-Key": KEY})  # fmt: skip
    assert both.status_code in (400, 422) and "request_key" in both.json["error"]["fields"]
    bad = client.post(url, json=start_body(t), headers={**g, "Idempotency-Key": "no"})
    assert bad.status_code in (400, 422) and "request_key" in bad.json["error"]["fields"]
    assert count(Manifest) == 1


def test_the_api_key_is_no_way_into_another_generators_deal(client, t, world):
    t.start(5_000, request_key=KEY)
    other = trip(world, quantity="20")
    url = f"{API}/deals/{t.deal.id}/manifests"
    response = client.post(url, json=start_body(t), headers={**en(other.recycler),
                                                              "Idempotency-Key": KEY})  # fmt: skip
    assert response.status_code in (403, 404)
    assert "number" not in (response.json or {})


def test_the_same_form_sent_twice_starts_one_manifest(client, t):
    login(client, t.generator)
    page = client.get(f"/deals/{t.deal.id}").get_data(as_text=True)
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', page)
    key = key or re.search(
        r'id="request_key" name="request_key" type="hidden" value="([^"]+)"', page
    )
    assert key, "the start form carries a request key"
    form = start_form(t, request_key=key.group(1))
    first = post(client, f"/deals/{t.deal.id}/manifests", form)
    assert first.status_code == 302
    again = post(client, f"/deals/{t.deal.id}/manifests", form)  # the double click
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    shown = client.get(again.headers["Location"]).get_data(as_text=True)
    number = db.session.scalar(db.select(Manifest.number))
    assert number in shown and count(Manifest) == 1
    fresh = client.get(f"/deals/{t.deal.id}").get_data(as_text=True)
    assert key.group(1) not in fresh  # the next form is a new trip
