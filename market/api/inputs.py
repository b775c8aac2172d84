"""Validated API bodies as the services' inputs; for PATCH, over the listing's current values."""

from dataclasses import asdict, replace
from datetime import UTC

from market.clock import BEIJING
from market.db import fen_to_yuan, tonnes
from market.listings.bidding import BidInput
from market.listings.models import SupplyListing
from market.listings.services import DemandInput, SupplyInput

LOCAL_TIMES = ("bid_deadline", "valid_until")


def _utc(data: dict) -> dict:
    """Beijing wall-clock times as UTC-aware datetimes, as the services keep them."""
    out = dict(data)
    for key in LOCAL_TIMES:
        if out.get(key) is not None:
            out[key] = out[key].replace(tzinfo=BEIJING).astimezone(UTC)
    return out


def _clean(data: dict) -> dict:
    out = _utc({k: v for k, v in data.items() if k != "publish"})
    if "waste_codes" in out:
        out["waste_codes"] = [code.strip() for code in out["waste_codes"]]
    return out


def listing_input(kind: str, data: dict) -> SupplyInput | DemandInput:
    model = SupplyInput if kind == "supply" else DemandInput
    return model(**_clean(data))


def bid_input(data: dict) -> BidInput:
    return BidInput(**_utc(data))


def current_input(listing) -> SupplyInput | DemandInput:
    """The listing's values in the shape the create call takes."""
    common = {
        "title": listing.title,
        "description": listing.description or "",
        "address": listing.address,
        "lat": listing.lat,
        "lon": listing.lon,
        "available_from": listing.available_from,
        "available_until": listing.available_until,
    }
    if isinstance(listing, SupplyListing):
        return SupplyInput(
            **common,
            waste_code=listing.waste_code.code,
            local_name=listing.local_name,
            quantity=listing.quantity,
            unit=listing.unit,
            kg_per_unit=listing.kg_per_unit,
            recurrence=listing.recurrence,
            packaging=listing.packaging or "",
            physical_form=listing.physical_form or "",
            main_components=listing.main_components or "",
            asking_price_yuan=fen_to_yuan(listing.asking_price_fen),
            bidding_mode=listing.bidding_mode,
            bid_deadline=listing.bid_deadline,
        )
    return DemandInput(
        **common,
        waste_codes=[c.code for c in listing.codes],
        licence_id=listing.licence_id,
        remaining_capacity_t=tonnes(listing.remaining_capacity_kg),
        service_radius_km=listing.service_radius_km,
        price_offered_yuan=fen_to_yuan(listing.price_offered_fen),
        quality_requirements=listing.quality_requirements or "",
    )


def patched_input(listing, data: dict) -> SupplyInput | DemandInput:
    current = current_input(listing)
    changes = {k: v for k, v in _clean(data).items() if k in asdict(current)}
    if changes.get("site_id") or ("address" in changes and "lat" not in changes):
        # a new place: its coordinates come from the site or the address, not the old ones
        current = replace(current, lat=None, lon=None)
    return replace(current, **changes)
