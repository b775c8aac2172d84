"""The manifest lifecycle through its services: start, pickup, receipt, rejection,
cancellation, with every step on the hash chain and in the parties' inboxes."""

from datetime import timedelta

import pytest

from market.db import utcnow
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db
from market.inbox.models import Message
from market.manifests import numbering, queries
from market.manifests import services as svc
from market.manifests.models import ManifestEventRow, ManifestVersion
from tests.manifest_flow import pickup_input, receipt_input, trip


def kinds_for(enterprise_id: int) -> list[str]:
    return list(
        db.session.scalars(
            db.select(Message.kind).filter_by(enterprise_id=enterprise_id).order_by(Message.id)
        )
    )


def events(manifest) -> list[str]:
    return [e.event for e in queries.history(manifest)]


def test_a_manifest_goes_from_start_to_closed(world):
    t = trip(world)
    m = t.start(5_000, packaging="吨袋", package_count=5)
    assert m.status == "submitted" and m.receiver_id == t.deal.recycler_id
    assert numbering.parse_number(m.number) == (m.year, "110115", 1)
    assert m.waste_name == "边角料" and len(m.verify_token) == 43
    assert "manifest_submitted" in kinds_for(t.transporter.enterprise_id)
    t.pick_up(m, plate="京a·12345")
    assert (m.status, m.plate) == ("in_transit", "京A12345")
    assert m.receipt_due_on is not None and m.receipt_due_rule in ("official", "park_list", "mixed")
    assert "manifest_picked_up" in kinds_for(t.generator.enterprise_id)
    t.receive(m, 4_900)
    assert (m.status, m.received_kg, m.discrepant) == ("closed", 4_900, False)
    assert events(m) == ["create", "submit", "pick_up", "receive", "close"]
    assert queries.chain_ok(m)
    assert [v.version for v in queries.versions(m)] == [1]
    assert "manifest_received" in kinds_for(t.generator.enterprise_id)
