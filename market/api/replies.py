"""What the API answers: the response bodies, documented and dumped by the same schemas."""

import marshmallow as ma
from marshmallow import fields as f

MONEY = {"description": "yuan, two decimals", "example": "-800.00"}
TONNES = {"description": "tonnes, three decimals", "example": "12.500"}
DAY = {"format": "date"}
TIME = {"format": "date-time"}
STATUSES = ("draft", "open", "bids_closed", "awarded", "closed", "withdrawn", "expired")


def text(**metadata):
    return f.String(required=True, metadata=metadata)


def maybe(field_cls, **metadata):
    return field_cls(required=True, allow_none=True, metadata=metadata)


class ErrorDetail(ma.Schema):
    status = f.Integer(required=True)
    message = f.String(required=True, metadata={"description": "in the caller's language"})
    fields = f.Dict(
        keys=f.String(),
        values=f.List(f.String()),
        metadata={"description": "field name: what is wrong with it"},
    )


class ErrorReply(ma.Schema):
    error = f.Nested(ErrorDetail, required=True)


class LicenceReply(ma.Schema):
    id = f.Integer(required=True)
    number = text()
    codes = f.List(f.String(), required=True)
    capacity_t_per_year = text(**TONNES)
    valid_from = text(**DAY)
    valid_until = text(**DAY)
    status = f.String(
        required=True,
        metadata={"description": "pending, approved or rejected: only approved covers codes"},
    )


class EnterpriseReply(ma.Schema):
    id = f.Integer(required=True)
    name = text()
    uscc = text()
    park_id = f.Integer(required=True)
    roles = f.List(f.String(), required=True)
    address = text()
    lat = f.Float(required=True)
    lon = f.Float(required=True)
    industry = text()
    licences = f.List(f.Nested(LicenceReply), required=True)


class EnterprisesReply(ma.Schema):
    enterprises = f.List(f.Nested(EnterpriseReply), required=True)


class MeReply(ma.Schema):
    id = f.Integer(required=True)
    email = text()
    name = text()
    enterprise = f.Nested(EnterpriseReply, required=True, allow_none=True)
    park_admin_of = maybe(f.Integer)


class OwnerReply(ma.Schema):
    id = f.Integer(required=True)
    name = text()
    park_id = f.Integer(required=True)


class _ListingReply(ma.Schema):
    id = f.Integer(required=True)
    kind = text()
    status = f.String(required=True, metadata={"enum": list(STATUSES)})
    title = text()
    description = text()
    enterprise = f.Nested(OwnerReply, required=True)
    address = text()
    lat = f.Float(required=True)
    lon = f.Float(required=True)
    distance_km = maybe(f.Float, description="from the caller's site")
    available_from = text(**DAY)
    available_until = text(**DAY)
    created_at = text(**TIME)


class SupplyReply(_ListingReply):
    waste_code = text()
    code_edition = text()
    hazardous = f.Boolean(required=True)
    local_name = text()
    quantity = text()
    unit = text()
    kg_per_unit = maybe(f.Integer)
    quantity_t = text(**TONNES)
    recurrence = text()
    packaging = text()
    physical_form = f.String(required=True, metadata={"description": "empty: not stated"})
    main_components = text()
    asking_price_yuan = text(**MONEY)
    bidding_mode = text()
    bid_deadline = maybe(f.String, **TIME)


class DemandReply(_ListingReply):
    waste_codes = f.List(f.String(), required=True)
    licence_id = maybe(f.Integer)
    remaining_capacity_t = text(**TONNES)
    service_radius_km = f.Integer(required=True)
    price_offered_yuan = text(**MONEY)
    quality_requirements = text()


def page_of(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    return ma.Schema.from_dict(
        {
            "page": f.Integer(required=True),
            "pages": f.Integer(required=True),
            "total": f.Integer(required=True),
            "items": f.List(f.Nested(item), required=True),
        },
        name=name,
    )


SupplyPage = page_of(SupplyReply, "SupplyPage")
DemandPage = page_of(DemandReply, "DemandPage")


class CodeReply(ma.Schema):
    code = text()
    name = text()
    scheme = text()
    category_code = text()
    category_name = text()
    hazardous = f.Boolean(required=True)
    hazard = text()
    edition = text()
    label = text()
    score = f.Float()
    matched = f.String()


class SiteReply(ma.Schema):
    id = f.Integer(required=True)
    name = text()
    address = text()
    lat = f.Float(required=True)
    lon = f.Float(required=True)


class SitesReply(ma.Schema):
    sites = f.List(f.Nested(SiteReply), required=True)


class SearchReply(ma.Schema):
    query = text()
    results = f.List(f.Nested(CodeReply), required=True)


class BidderReply(ma.Schema):
    id = f.Integer(required=True)
    name = text()
    credit_grade = maybe(f.String)


class BidReply(ma.Schema):
    id = f.Integer(required=True)
    lot_id = f.Integer(required=True)
    status = text()
    bidder = f.Nested(BidderReply, required=True)
    bidder_fell_to_d = f.Boolean(required=True)  # its grade fell to D after it bid
    price_yuan = text(**MONEY)
    quantity_t = text(**TONNES)
    match_score = f.Float(required=True)
    valid_until = text(**TIME)
    demand_listing_id = f.Integer(required=True)
    note = text()


class BidsReply(ma.Schema):
    mode = text()
    active = f.Integer(required=True)
    best_price_yuan = maybe(f.String, **MONEY)
    sealed = f.Boolean(
        required=True,
        metadata={"description": "sealed and before the deadline: only the count is shown"},
    )
    sealed_until = maybe(f.String, **TIME)
    bids = f.List(f.Nested(BidReply), required=True)


class PaymentReply(ma.Schema):
    status = text()
    amount_yuan = text(**MONEY)
    captured_yuan = text(**MONEY)
    intent_id = maybe(f.String)


class ContactReply(ma.Schema):
    enterprise_id = f.Integer(required=True)
    name = text()
    contact_name = text()
    phone = text()
    email = maybe(f.String)


class ContactsReply(ma.Schema):
    generator = f.Nested(ContactReply, required=True)
    recycler = f.Nested(ContactReply, required=True)


class DealReply(ma.Schema):
    id = f.Integer(required=True)
    lot_id = f.Integer(required=True)
    bid_id = f.Integer(required=True)
    status = text()
    generator_id = f.Integer(required=True)
    recycler_id = f.Integer(required=True)
    quantity_t = text(**TONNES)
    price_yuan = text(**MONEY)
    amount_yuan = text(**MONEY)
    payer = text()
    payment = f.Nested(PaymentReply, required=True, allow_none=True)
    created_at = text(**TIME)
    contacts = f.Nested(
        ContactsReply,
        required=True,
        allow_none=True,
        metadata={"description": "both parties' contact persons, for the deal's parties only"},
    )


DealPage = page_of(DealReply, "DealPage")


class PartsReply(ma.Schema):
    code = f.Float(required=True)
    code_match = text()
    distance = f.Float(required=True)
    distance_km = f.Float(required=True)
    capacity = f.Float(required=True)
    credit = f.Float(required=True)
    grade = maybe(f.String)


class ExcludedReply(ma.Schema):
    filter = text()
    count = f.Integer(required=True)
    reason = text()
    examples = f.List(f.Integer(), required=True)


class ListingRef(ma.Schema):
    kind = text()
    id = f.Integer(required=True)


def matches_of(other: type[ma.Schema], name: str) -> type[ma.Schema]:
    match = ma.Schema.from_dict(
        {
            "rank": f.Integer(required=True),
            "score": f.Float(required=True, metadata={"minimum": 0, "maximum": 1}),
            "parts": f.Nested(PartsReply, required=True),
            "listing": f.Nested(other, required=True),
        },
        name=f"{name}Item",
    )
    return ma.Schema.from_dict(
        {
            "listing": f.Nested(ListingRef, required=True),
            "matches": f.List(f.Nested(match), required=True),
            "excluded": f.List(f.Nested(ExcludedReply), required=True),
            "candidates": f.Integer(
                required=True,
                metadata={"description": "every open counterpart listing, eligible or not"},
            ),
            "eligible": f.Integer(
                required=True,
                metadata={
                    "description": "how many passed every hard filter; the rest are "
                    "counted once each in `excluded`, under the first filter they fail"
                },
            ),
        },
        name=name,
    )


SupplyMatches = matches_of(DemandReply, "SupplyMatches")  # a lot's matches are demand listings
DemandMatches = matches_of(SupplyReply, "DemandMatches")


class MessageReply(ma.Schema):
    id = f.Integer(required=True)
    thread_id = f.Integer(required=True)
    author = text(metadata={"description": "the writing user's name"})
    enterprise_id = f.Integer(required=True)
    body = text()
    created_at = text(**TIME)


class ContactRef(ma.Schema):
    id = f.Integer(required=True)
    name = text()


class ThreadReply(ma.Schema):
    id = f.Integer(required=True)
    deal_id = maybe(f.Integer)
    listing = f.Nested(ListingRef, required=True, allow_none=True)
    title = text()
    owner = f.Nested(ContactRef, required=True)
    other = f.Nested(ContactRef, required=True)
    unread = f.Integer(required=True, metadata={"description": "messages this user has not read"})
    last_message_at = text(**TIME)


class ThreadDetailReply(ThreadReply):
    messages = f.List(f.Nested(MessageReply), required=True)


ThreadPage = page_of(ThreadReply, "ThreadPage")
