"""Rows as JSON for the API, in the shapes market.api.replies documents and dumps."""

from market.db import fen_to_yuan, tonnes
from market.listings import queries
from market.listings.models import SupplyListing


def enterprise_json(e) -> dict:
    return {
        "id": e.id,
        "name": e.name,
        "uscc": e.uscc,
        "park_id": e.park_id,
        "roles": [str(r) for r in e.roles],
        "address": e.address,
        "lat": e.lat,
        "lon": e.lon,
        "industry": e.industry,
        "licences": [
            {
                "id": lic.id,
                "number": lic.number,
                "codes": [c.code for c in lic.codes],
                "capacity_t_per_year": str(tonnes(lic.capacity_kg_per_year)),
                "valid_from": lic.valid_from.isoformat(),
                "valid_until": lic.valid_until.isoformat(),
                "status": lic.status,
            }
            for lic in e.licences
        ],
    }


def site_json(s) -> dict:
    return {"id": s.id, "name": s.name, "address": s.address, "lat": s.lat, "lon": s.lon}


def _common(listing, user) -> dict:
    distance = queries.distance_from(user, listing)
    return {
        "id": listing.id,
        "kind": listing.kind,
        "status": listing.status,
        "title": listing.title,
        "description": listing.description,
        "enterprise": {
            "id": listing.enterprise.id,
            "name": listing.enterprise.name,
            "park_id": listing.enterprise.park_id,
        },
        "address": listing.address,
        "lat": listing.lat,
        "lon": listing.lon,
        "distance_km": None if distance is None else round(distance, 1),
        "available_from": listing.available_from.isoformat(),
        "available_until": listing.available_until.isoformat(),
        "created_at": listing.created_at.isoformat(),
    }


def listing_json(listing, user) -> dict:
    data = _supply(listing) if isinstance(listing, SupplyListing) else _demand(listing)
    return {**_common(listing, user), **data}


def _supply(s) -> dict:
    return {
        "waste_code": s.waste_code.code,
        "code_edition": s.edition.name,
        "hazardous": s.waste_code.is_hazardous,
        "local_name": s.local_name,
        "quantity": str(s.quantity),
        "unit": s.unit,
        "kg_per_unit": s.kg_per_unit,
        "quantity_t": str(tonnes(s.quantity_kg)),
        "recurrence": s.recurrence,
        "packaging": s.packaging,
        "physical_form": s.physical_form or "",
        "main_components": s.main_components or "",
        "asking_price_yuan": str(fen_to_yuan(s.asking_price_fen)),
        "bidding_mode": s.bidding_mode,
        "bid_deadline": s.bid_deadline.isoformat() if s.bid_deadline else None,
    }


def _demand(d) -> dict:
    return {
        "waste_codes": [c.code for c in d.codes],
        "licence_id": d.licence_id,
        "remaining_capacity_t": str(tonnes(d.remaining_capacity_kg)),
        "service_radius_km": d.service_radius_km,
        "price_offered_yuan": str(fen_to_yuan(d.price_offered_fen)),
        "quality_requirements": d.quality_requirements,
    }
