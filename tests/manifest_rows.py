"""Manifest rows for the printing tests, made directly (the lifecycle services live elsewhere)."""

import itertools
from datetime import date, timedelta

from market.db import utcnow
from market.deals.services import accept_bid
from market.extensions import db
from market.manifests.models import Manifest, ManifestVersion
from market.manifests.tokens import new_verify_token
from tests import factories

DRIVER_PHONE = "13912345678"
PRICE_YUAN = "2371"  # the deal's price per tonne: no manifest page may show it
_serial = itertools.count(1)
STAGES = ("submitted", "in_transit", "discrepant", "rejected")


def deal_for(generator):
    """A deal for a 20 t lot of `generator`'s, and the recycler user who won it."""
    lot = factories.steel_lot(generator)
    recycler = factories.bidder()
    bid = factories.bid(recycler, lot, price=PRICE_YUAN, quantity="20")
    db.session.commit()
    return accept_bid(generator, bid.id), lot, recycler


def manifest(world, stage: str = "submitted") -> Manifest:
    """A manifest of 20 t of steel offcuts at `stage` (one of STAGES)."""
    deal, lot, recycler = deal_for(world.generator)
    serial = next(_serial)
    row = Manifest(
        number=f"2026110115{serial:06d}",
        year=2026,
        region_code="110115",
        serial=serial,
        verify_token=new_verify_token(),
        deal_id=deal.id,
        park_id=lot.enterprise.park_id,
        generator_id=deal.generator_id,
        transporter_id=world.transporter.enterprise_id,
        receiver_id=deal.recycler_id,
        waste_code_id=lot.waste_code_id,
        waste_name=lot.local_name,
        declared_kg=20_000,
        packaging="吨袋",
        package_count=20,
        status="submitted",
        submitted_at=utcnow() - timedelta(days=2),
        submitted_by_id=world.generator.id,
    )
    db.session.add(row)
    for step in STAGES[1 : STAGES.index(stage) + 1]:
        _STEPS[step](row, world.transporter, recycler)
    db.session.flush()
    return row


def _pick_up(row: Manifest, carrier, recycler) -> None:
    row.status = "in_transit"
    row.plate, row.driver_name, row.driver_phone = "京A·12345", "李师傅", DRIVER_PHONE
    row.picked_up_at = row.pickup_signed_at = utcnow() - timedelta(days=1)
    row.pickup_signed_by_id = carrier.id
    row.receipt_due_on, row.receipt_due_rule = date(2026, 12, 4), "5wd"


def _receive_short(row: Manifest, carrier, recycler) -> None:
    row.status = "received"
    row.received_kg, row.discrepant = 18_200, True
    row.discrepancy_note = "地磅复称，含水率偏高"
    row.treatment, row.treatment_method = "utilise", "再生利用"
    row.received_at = row.receipt_signed_at = utcnow() - timedelta(hours=3)
    row.receipt_signed_by_id = recycler.id


def _reject_part(row: Manifest, carrier, recycler) -> None:
    row.received_kg, row.rejected_kg = 18_200, 1_800
    row.rejection_reason = "混有油污，不符合入炉要求"
    row.rejection_goes_to = "generator"
    db.session.flush()
    db.session.add(
        ManifestVersion(
            manifest_id=row.id,
            version=2,
            data="{}",
            reason="更正处置方式",
            by_id=recycler.id,
            by_enterprise_id=recycler.enterprise_id,
        )
    )
    row.version = 2


_STEPS = {"in_transit": _pick_up, "discrepant": _receive_short, "rejected": _reject_part}
