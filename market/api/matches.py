"""一键匹配 over the API: the ranking, the parts of each score, and what was filtered out."""

from flask import g

from market.api.serialise import listing_json
from market.matching.views import code_label, explained, load_listing, ranking_for


def _match(rank: int, m, row) -> dict:
    return {
        "rank": rank,
        "score": round(m.score, 4),
        "parts": {
            "code": round(m.code, 4),
            "code_match": code_label(m.code),
            "distance": round(m.distance, 4),
            "distance_km": round(m.distance_km, 2),
            "capacity": round(m.capacity, 4),
            "credit": round(m.credit, 4),
            "grade": m.grade,
        },
        "listing": listing_json(row, g.api_user),
    }


def matches_json(kind: str, listing_id: int, k: int) -> dict:
    listing = load_listing(kind, listing_id, g.api_user)
    view = explained(kind, listing, ranking_for(kind, listing, k))
    return {
        "listing": {"kind": kind, "id": listing.id},
        "matches": [_match(i, m, row) for i, (m, row) in enumerate(view["matches"], start=1)],
        "excluded": [
            {"filter": str(name), "count": n, "reason": text, "examples": ids}
            for name, n, text, ids in view["excluded"]
        ],
        "candidates": view["candidates"],
        "eligible": view["eligible"],
    }
