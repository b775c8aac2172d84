"""Rows the ledger tests need: filing tiers and closed manifests.

The manifest services are built elsewhere; a ledger only reads closed manifests, so these
rows are written as a closed manifest stands (status, accepted weight, days, treatment)."""

import itertools
import secrets
from datetime import UTC, date, datetime, time

from market.catalog.models import WasteCode
from market.catalog.services import resolve_code
from market.clock import BEIJING
from market.deals.models import Deal
from market.extensions import db
from market.manifests.models import FilingTier, Manifest
from tests import factories

_serial = itertools.count(1)


def tier(enterprise, kind: str, since: date) -> FilingTier:
    row = FilingTier(enterprise_id=enterprise.id, period_kind=kind, effective_from=since)
    db.session.add(row)
    db.session.flush()
    return row


def at(day: date, hour: int = 10) -> datetime:
    """An aware instant on a Beijing day."""
    return datetime.combine(day, time(hour), BEIJING).astimezone(UTC)


def code(text: str, park_id: int) -> WasteCode:
    """The code as the park's users see it: several parks' catalogues share ISW codes."""
    return resolve_code(text, park_id)


def deal(generator_user, recycler_user) -> Deal:
    lot = factories.steel_lot(generator_user)
    bid = factories.bid(recycler_user, lot, quantity="20")
    row = Deal(
        supply_listing_id=lot.id,
        bid_id=bid.id,
        demand_listing_id=bid.demand_listing_id,
        generator_id=lot.enterprise_id,
        recycler_id=bid.enterprise_id,
        quantity_kg=20_000,
        price_fen=100_000,
        amount_fen=2_000_000,
        payer="recycler",
    )
    db.session.add(row)
    db.session.flush()
    return row


def closed_manifest(
    deal_row: Deal,
    kg: int,
    picked_up: date,
    received: date,
    user,
    treatment: str = "utilise",
    waste_code: str = "ISW-17-01-01",
    status: str = "closed",
    transporter=None,
) -> Manifest:
    serial = next(_serial)
    row = Manifest(
        number=f"2026110115{serial:06d}",
        year=2026,
        region_code="110115",
        serial=serial,
        verify_token=secrets.token_urlsafe(32),
        deal_id=deal_row.id,
        park_id=deal_row.generator.park_id,
        generator_id=deal_row.generator_id,
        transporter_id=(transporter or deal_row.recycler).id,
        receiver_id=deal_row.recycler_id,
        waste_code_id=code(waste_code, deal_row.generator.park_id).id,
        waste_name="边角料",
        declared_kg=kg,
        submitted_by_id=user.id,
        status=status,
        plate="京A12345",
        picked_up_at=at(picked_up),
        received_kg=kg if status == "closed" else None,
        received_at=at(received, 15),
        treatment=treatment,
        treatment_method="再生利用" if treatment == "utilise" else "填埋",
        closed_at=at(received, 16) if status == "closed" else None,
    )
    db.session.add(row)
    db.session.flush()
    return row
