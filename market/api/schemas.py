"""What the API accepts: request bodies and query strings, checked for shape, type and limits.
The rules (known codes, licences, dates in order, bidding) stay in the services."""

from datetime import timedelta

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from market.api.fields import (
    ID_MAX,
    Bool,
    Day,
    Dec,
    Float,
    Int,
    LocalMinute,
    QueryInt,
    Str,
    StrList,
    an_id,
    at_most,
    between,
    not_blank,
    one_of,
)
from market.clock import today
from market.listings.models import PHYSICAL_FORMS

PRICE = between(-10_000_000, 10_000_000)
SOON = today() + timedelta(days=1)  # for the examples in the description only
SORTS = ("newest", "distance", "price", "quantity", "match")


class Schema(ma.Schema):
    """Unknown fields are refused, and the refusal is in the caller's language."""

    error_messages = {
        "unknown": _l("Unknown field."),
        "type": _l("The body must be a JSON object."),
    }


class _Site(Schema):
    title = Str(required=True, validate=not_blank(120), metadata={"example": "废机油 5 吨"})
    description = Str(validate=at_most(4000))
    site_id = an_id(
        allow_none=True,
        metadata={
            "description": "one of the park's sites (GET /sites): its coordinates, and its "
            "address unless one is given; lat/lon are then ignored"
        },
    )
    address = Str(
        validate=at_most(200),
        metadata={
            "description": "empty: the site's or the enterprise's; another address without "
            "lat/lon is placed at the park's location"
        },
    )
    lat = Float(validate=between(3, 54), metadata={"description": "inside China; with lon"})
    lon = Float(validate=between(73, 136), metadata={"description": "inside China; with lat"})
    available_from = Day(required=True, metadata={"example": str(SOON)})
    available_until = Day(required=True, metadata={"example": str(SOON + timedelta(days=30))})


class SupplyIn(_Site):
    waste_code = Str(required=True, validate=not_blank(200), metadata={"example": "900-214-08"})
    local_name = Str(required=True, validate=not_blank(80), metadata={"example": "废机油"})
    quantity = Dec(
        required=True, validate=between(0.001, 10_000_000_000), metadata={"example": 12.5}
    )
    unit = Str(validate=one_of("t", "m3", "piece"))
    kg_per_unit = Int(validate=between(1, 10_000_000), metadata={"description": "m3 or piece"})
    recurrence = Str(validate=one_of("once", "weekly", "monthly"))
    packaging = Str(validate=at_most(80))
    physical_form = Str(validate=one_of("", *PHYSICAL_FORMS))
    main_components = Str(validate=at_most(200), metadata={"example": "Fe 60%, oil 5%"})
    asking_price_yuan = Dec(
        validate=PRICE, metadata={"description": "per tonne; negative = the generator pays"}
    )
    bidding_mode = Str(validate=one_of("open", "sealed"))
    bid_deadline = LocalMinute(allow_none=True)
    publish = Bool(metadata={"description": "create: publish at once"})


class DemandIn(_Site):
    waste_codes = StrList(
        Str(validate=not_blank(200)),
        required=True,
        validate=ma.validate.Length(min=1, max=100),
        metadata={"example": ["ISW-17-01-01"]},
    )
    licence_id = an_id(allow_none=True)
    remaining_capacity_t = Dec(
        required=True, validate=between(0.001, 10_000_000), metadata={"example": 300}
    )
    service_radius_km = Int(required=True, validate=between(1, 3000), metadata={"example": 80})
    price_offered_yuan = Dec(
        validate=PRICE, metadata={"description": "per tonne; negative = the recycler charges"}
    )
    quality_requirements = Str(validate=at_most(4000))
    publish = Bool(metadata={"description": "create: publish at once"})


class BidIn(Schema):
    price_yuan = Dec(
        required=True,
        validate=PRICE,
        metadata={"description": "per tonne; negative = fee", "example": 5000},
    )
    quantity_t = Dec(required=True, validate=between(0.001, 10_000_000), metadata={"example": 1})
    valid_until = LocalMinute(allow_none=True, metadata={"description": "default: the deadline"})
    note = Str(validate=at_most(1000))


class CancelIn(Schema):
    BODY_OPTIONAL = True

    reason = Str(validate=at_most(500))


class SearchArgs(Schema):
    q = Str(required=True, validate=at_most(80), metadata={"example": "废机油"})


class BrowseArgs(Schema):
    code = Str(validate=at_most(40), metadata={"description": "a code or a category (HW08)"})
    hazardous = Str(validate=one_of("", "yes", "no"))
    within_km = QueryInt(validate=between(1, 5000))
    min_t = Dec(validate=between(0, 10_000_000_000))
    max_t = Dec(validate=between(0, 10_000_000_000))
    min_price = Dec(validate=PRICE)
    max_price = Dec(validate=PRICE)
    park_id = QueryInt(validate=between(1, ID_MAX))
    mine = Bool(metadata={"description": "only one's own enterprise's listings"})
    sort = Str(validate=one_of(*SORTS))
    page = QueryInt(validate=between(1, 100_000))
    per_page = QueryInt(validate=between(1, 100))


class PageArgs(Schema):
    page = QueryInt(validate=between(1, 100_000))


class MatchArgs(Schema):
    k = QueryInt(validate=between(1, 50), metadata={"description": "how many matches"})


class SupplyPatch(SupplyIn):
    """The fields to change; the others keep their values."""

    class Meta:
        exclude = ("publish",)


class DemandPatch(DemandIn):
    """The fields to change; the others keep their values."""

    class Meta:
        exclude = ("publish",)


class MessageIn(Schema):
    body = Str(
        required=True,
        validate=not_blank(2000),
        metadata={"description": "the message, the sender's own text", "example": "几点可以装车？"},
    )
