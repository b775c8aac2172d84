"""Manifest races settled by the database, with real parallel connections (PostgreSQL):
serials, two signatures of one step, and parallel starts against a deal's allowance."""

from functools import partial

import pytest

from market.deals.models import Payment
from market.extensions import db
from market.manifests import checks, numbering
from market.manifests import services as svc
from market.manifests.models import Manifest, ManifestEventRow
from tests import factories
from tests.integration.test_races import in_parallel, ok, postgres_only, user  # noqa: F401
from tests.manifest_flow import pickup_input, receipt_input, trip

RUNS = 8

pytestmark = pytest.mark.postgres


def allocate(region: str, year: int) -> int:
    return checks.allocate_number(region, year).serial


def test_twenty_parallel_allocations_give_twenty_consecutive_serials(world):
    for year in (2026, 2027):
        results = in_parallel(*[partial(allocate, "110115", year) for _ in range(20)])
        assert sorted(results) == list(range(1, 21)), results
    results = in_parallel(*[partial(allocate, "370171", 2026) for _ in range(20)])
    assert sorted(results) == list(range(1, 21))  # its own counter per region


def test_parallel_starts_number_their_manifests_without_a_gap(world):
    t = trip(world, quantity="40")
    gen, deal_id, carrier = t.generator.id, t.deal.id, t.carrier_id()

    def start():
        data = svc.StartInput(declared_kg=2_000, transporter_id=carrier)
        return svc.start_manifest(user(gen), deal_id, data).number

    numbers = in_parallel(*[start for _ in range(20)])
    assert sorted(numbering.parse_number(n).serial for n in numbers) == list(range(1, 21))


def test_a_start_sent_in_parallel_with_one_key_makes_one_manifest(world):
    for run in range(RUNS // 2):
        t = trip(world, quantity="20", authorise=False)
        gen, deal_id, carrier = t.generator.id, t.deal.id, t.carrier_id()
        key = f"retry-key-{run:04d}"

        def start(gen=gen, deal_id=deal_id, carrier=carrier, key=key):
            data = svc.StartInput(declared_kg=2_000, transporter_id=carrier, request_key=key)
            return svc.start_manifest(user(gen), deal_id, data).id

        results = in_parallel(*[start for _ in range(4)])
        assert len(set(ok(results))) == 1 and len(ok(results)) == 4, results
        made = db.session.scalar(db.select(db.func.count(Manifest.id)).filter_by(deal_id=deal_id))
        assert made == 1


def test_parallel_starts_never_pass_the_deals_quantity(world):
    for _ in range(RUNS // 2):
        t = trip(world, quantity="20", authorise=False)
        gen, deal_id, carrier = t.generator.id, t.deal.id, t.carrier_id()

        def start(gen=gen, deal_id=deal_id, carrier=carrier):
            data = svc.StartInput(declared_kg=6_000, transporter_id=carrier)
            return svc.start_manifest(user(gen), deal_id, data).id

        results = in_parallel(*[start for _ in range(5)])
        assert len(ok(results)) == 3, results  # 3 × 6 t fit in 20 t; a fourth would not
        declared = db.session.scalar(
            db.select(db.func.sum(Manifest.declared_kg)).filter_by(deal_id=deal_id)
        )
        assert declared == 18_000


def test_two_users_signing_one_pickup_at_once(world):
    second = factories.user(world.transporter.enterprise)
    db.session.commit()
    for _ in range(RUNS):
        t = trip(world, quantity="5", authorise=False)
        m = t.start(5_000)
        ids = (world.transporter.id, second.id)

        def sign(uid, mid=m.id):
            return svc.sign_pickup(user(uid), mid, pickup_input()).id

        results = in_parallel(*[partial(sign, uid) for uid in ids])
        assert len(ok(results)) == 1, results
        signed = db.session.scalars(
            db.select(ManifestEventRow).filter_by(manifest_id=m.id, event="pick_up")
        ).all()
        assert len(signed) == 1
        db.session.refresh(m)
        assert m.status == "in_transit" and m.pickup_signed_by_id == signed[0].actor_id


def test_two_receipts_at_once_close_and_settle_once(world):
    for _ in range(RUNS // 2):
        t = trip(world, quantity="5")
        second = factories.user(t.recycler.enterprise)
        db.session.commit()
        m = t.pick_up(t.start(5_000))

        def receive(uid, kg, mid=m.id):
            return svc.sign_receipt(user(uid), mid, receipt_input(kg)).received_kg

        results = in_parallel(
            partial(receive, t.recycler.id, 5_000), partial(receive, second.id, 5_010)
        )
        assert len(ok(results)) == 1, results
        db.session.refresh(m)
        db.session.refresh(t.deal)
        assert m.status == "closed" and m.received_kg == ok(results)[0]
        assert t.deal.status == "completed"
        assert t.deal.payment.captured_fen == 5_000 * 200
        top_ups = db.session.scalars(
            db.select(Payment).filter_by(deal_id=t.deal.id, purpose="top_up")
        )
        assert [p.amount_fen for p in top_ups] == ([2_000] if m.received_kg == 5_010 else [])
        seqs = db.session.scalars(
            db.select(ManifestEventRow.seq)
            .filter_by(manifest_id=m.id)
            .order_by(ManifestEventRow.id)
        ).all()
        assert seqs == list(range(1, len(seqs) + 1))
    assert svc.verify_chains() == []
