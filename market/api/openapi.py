"""The OpenAPI 3 description of /api/v1, built with apispec."""

from apispec import APISpec

LISTING_PROPS = {
    "id": {"type": "integer"},
    "kind": {"type": "string", "enum": ["supply", "demand"]},
    "status": {
        "type": "string",
        "enum": ["draft", "open", "awarded", "closed", "withdrawn", "expired"],
    },
    "title": {"type": "string", "maxLength": 120},
    "description": {"type": "string"},
    "address": {"type": "string"},
    "lat": {"type": "number"},
    "lon": {"type": "number"},
    "distance_km": {"type": "number", "nullable": True},
    "available_from": {"type": "string", "format": "date"},
    "available_until": {"type": "string", "format": "date"},
}
SUPPLY_INPUT = {
    "type": "object",
    "required": [
        "waste_code",
        "title",
        "local_name",
        "quantity",
        "available_from",
        "available_until",
    ],
    "properties": {
        "waste_code": {"type": "string", "example": "900-214-08"},
        "title": {"type": "string", "maxLength": 120},
        "local_name": {"type": "string", "maxLength": 80, "example": "废机油"},
        "description": {"type": "string", "maxLength": 4000},
        "quantity": {"type": "string", "example": "12.5"},
        "unit": {"type": "string", "enum": ["t", "m3", "piece"]},
        "kg_per_unit": {"type": "integer", "minimum": 1},
        "recurrence": {"type": "string", "enum": ["once", "weekly", "monthly"]},
        "packaging": {"type": "string"},
        "address": {"type": "string"},
        "lat": {"type": "number"},
        "lon": {"type": "number"},
        "available_from": {"type": "string", "format": "date"},
        "available_until": {"type": "string", "format": "date"},
        "asking_price_yuan": {
            "type": "string",
            "example": "-800.00",
            "description": "per tonne; negative = generator pays",
        },
        "bidding_mode": {"type": "string", "enum": ["open", "sealed"]},
        "bid_deadline": {
            "type": "string",
            "example": "2026-12-01T17:00",
            "description": "Beijing time",
        },
        "publish": {"type": "boolean"},
    },
}
DEMAND_INPUT = {
    "type": "object",
    "required": [
        "waste_codes",
        "title",
        "remaining_capacity_t",
        "service_radius_km",
        "available_from",
        "available_until",
    ],
    "properties": {
        "waste_codes": {"type": "array", "items": {"type": "string"}},
        "title": {"type": "string", "maxLength": 120},
        "licence_id": {"type": "integer"},
        "remaining_capacity_t": {"type": "string"},
        "service_radius_km": {"type": "integer", "minimum": 1, "maximum": 3000},
        "price_offered_yuan": {"type": "string"},
        "description": {"type": "string"},
        "quality_requirements": {"type": "string"},
        "address": {"type": "string"},
        "lat": {"type": "number"},
        "lon": {"type": "number"},
        "available_from": {"type": "string", "format": "date"},
        "available_until": {"type": "string", "format": "date"},
        "publish": {"type": "boolean"},
    },
}
ERRORS = {
    "400": {"$ref": "#/components/responses/Error"},
    "401": {"$ref": "#/components/responses/Error"},
    "403": {"$ref": "#/components/responses/Error"},
    "404": {"$ref": "#/components/responses/Error"},
    "409": {"$ref": "#/components/responses/Error"},
}
KIND = {
    "name": "kind",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": ["supply", "demand"]},
}
ID = {"name": "listing_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _listing_response(code: str = "200") -> dict:
    return {
        code: {
            "description": "the listing",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Listing"}}},
        },
        **ERRORS,
    }


def _body(schema: str) -> dict:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _components(spec: APISpec) -> None:
    spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    spec.components.schema(
        "Listing", {"type": "object", "properties": LISTING_PROPS, "additionalProperties": True}
    )
    spec.components.schema("SupplyInput", SUPPLY_INPUT)
    spec.components.schema("DemandInput", DEMAND_INPUT)
    spec.components.schema(
        "Error",
        {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "integer"},
                        "message": {"type": "string"},
                        "fields": {"type": "object"},
                    },
                }
            },
        },
    )
    spec.components.response(
        "Error",
        {
            "description": "error, message in the caller's language",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    )


def _paths(spec: APISpec) -> None:
    q = {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}
    spec.path(
        "/catalog/search",
        operations={
            "get": {
                "summary": "Fuzzy search of waste codes by plant names, aliases, pinyin",
                "parameters": [q],
                "security": [],
                "responses": {"200": {"description": "hits"}},
            }
        },
    )
    spec.path(
        "/me",
        operations={
            "get": {
                "summary": "The token's user",
                "responses": {"200": {"description": "user"}, **ERRORS},
            }
        },
    )
    spec.path(
        "/enterprises",
        operations={
            "get": {
                "summary": "Own enterprise, or the park's enterprises for a park administrator",
                "responses": {"200": {"description": "enterprises"}, **ERRORS},
            }
        },
    )
    filters = [
        {"name": n, "in": "query", "schema": {"type": t}}
        for n, t in (
            ("code", "string"),
            ("hazardous", "string"),
            ("within_km", "integer"),
            ("min_t", "number"),
            ("max_t", "number"),
            ("min_price", "number"),
            ("max_price", "number"),
            ("park_id", "integer"),
            ("sort", "string"),
            ("page", "integer"),
            ("per_page", "integer"),
            ("mine", "string"),
        )
    ]
    spec.path(
        "/listings/{kind}",
        operations={
            "get": {
                "summary": "Browse open listings",
                "parameters": [KIND, *filters],
                "responses": {"200": {"description": "a page of listings"}, **ERRORS},
            },
            "post": {
                "summary": "Create a listing (draft, or open with publish=true)",
                "parameters": [KIND],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    {"$ref": "#/components/schemas/SupplyInput"},
                                    {"$ref": "#/components/schemas/DemandInput"},
                                ]
                            }
                        }
                    },
                },
                "responses": _listing_response("201"),
            },
        },
    )
    spec.path(
        "/listings/{kind}/{listing_id}",
        operations={
            "get": {
                "summary": "One listing",
                "parameters": [KIND, ID],
                "responses": _listing_response(),
            },
            "patch": {
                "summary": "Change fields of one's own draft or open listing",
                "parameters": [KIND, ID],
                "requestBody": _body("SupplyInput"),
                "responses": _listing_response(),
            },
        },
    )
    for action in ("publish", "withdraw"):
        spec.path(
            f"/listings/{{kind}}/{{listing_id}}/{action}",
            operations={
                "post": {
                    "summary": f"{action.capitalize()} one's own listing",
                    "parameters": [KIND, ID],
                    "responses": _listing_response(),
                }
            },
        )


BID_INPUT = {
    "type": "object",
    "required": ["price_yuan", "quantity_t"],
    "properties": {
        "price_yuan": {"type": "string", "description": "per tonne; negative = generator pays"},
        "quantity_t": {"type": "string"},
        "valid_until": {
            "type": "string",
            "example": "2026-12-01T17:00",
            "description": "Beijing time; default: the bidding deadline",
        },
        "note": {"type": "string", "maxLength": 1000},
    },
}
LOT = {"name": "lot_id", "in": "path", "required": True, "schema": {"type": "integer"}}
BID = {"name": "bid_id", "in": "path", "required": True, "schema": {"type": "integer"}}
DEAL = {"name": "deal_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _trading_paths(spec: APISpec) -> None:
    ok = {"200": {"description": "ok"}, **ERRORS}
    spec.path(
        "/listings/supply/{lot_id}/bids",
        operations={
            "get": {
                "summary": "Bids on a lot, as far as the caller may see them (sealed bids "
                "stay hidden until the deadline)",
                "parameters": [LOT],
                "responses": ok,
            },
            "post": {
                "summary": "Bid on an open lot (recyclers that pass the hard filters)",
                "parameters": [LOT],
                "requestBody": _body("BidInput"),
                "responses": {"201": {"description": "the bid"}, **ERRORS},
            },
        },
    )
    spec.path(
        "/bids/{bid_id}/withdraw",
        operations={
            "post": {
                "summary": "Withdraw one's own active bid",
                "parameters": [BID],
                "responses": ok,
            }
        },
    )
    spec.path(
        "/bids/{bid_id}/accept",
        operations={
            "post": {
                "summary": "Accept a bid on one's own lot: makes the deal, authorises payment",
                "parameters": [BID],
                "responses": {"201": {"description": "the deal"}, **ERRORS},
            }
        },
    )
    spec.path("/deals", operations={"get": {"summary": "The caller's deals", "responses": ok}})
    spec.path(
        "/deals/{deal_id}",
        operations={"get": {"summary": "One deal", "parameters": [DEAL], "responses": ok}},
    )
    spec.path(
        "/deals/{deal_id}/cancel",
        operations={
            "post": {
                "summary": "Cancel a deal before pickup; releases the payment authorisation",
                "parameters": [DEAL],
                "responses": ok,
            }
        },
    )
    spec.path(
        "/listings/{kind}/{listing_id}/matches",
        operations={
            "get": {
                "summary": "一键匹配: ranked counterparts, the parts of each score, and the hard "
                "filters that removed the others",
                "parameters": [KIND, ID],
                "responses": ok,
            }
        },
    )


def spec() -> dict:
    api = APISpec(
        title="Waste exchange API",
        version="1.0.0",
        openapi_version="3.0.3",
        info={"description": "Bearer token per user; create one on the account page."},
        servers=[{"url": "/api/v1"}],
        security=[{"token": []}],
    )
    _components(api)
    api.components.schema("BidInput", BID_INPUT)
    _paths(api)
    _trading_paths(api)
    return api.to_dict()
