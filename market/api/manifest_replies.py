"""What the manifest, filing and ledger operations answer, documented and dumped by these."""

import marshmallow as ma
from marshmallow import fields as f

from market.api.replies import DAY, TIME, maybe, page_of, text
from market.manifests.states import ManifestStatus

KG = {"description": "whole kilograms"}


def kg():
    return f.Integer(required=True, metadata=KG)


def integer():
    return f.Integer(required=True)


class PartyReply(ma.Schema):
    id = integer()
    name = text()


class ManifestReply(ma.Schema):
    id = integer()
    number = text(description="联单编号: region, year, serial")
    status = f.String(required=True, metadata={"enum": [s.value for s in ManifestStatus]})
    version = integer()
    deal_id = integer()
    park_id = integer()
    generator = f.Nested(PartyReply, required=True)
    transporter = f.Nested(PartyReply, required=True)
    receiver = f.Nested(PartyReply, required=True)
    waste_code = text()
    waste_name = text()
    declared_kg = kg()
    packaging = text()
    package_count = integer()
    submitted_at = text(**TIME)
    plate = maybe(f.String)
    driver_name = maybe(f.String)
    driver_phone = maybe(f.String)
    picked_up_at = maybe(f.String, **TIME)
    receipt_due_on = maybe(f.String, **DAY)
    received_kg = maybe(f.Integer, **KG)
    rejected_kg = kg()
    received_at = maybe(f.String, **TIME)
    treatment = maybe(f.String)
    treatment_method = maybe(f.String)
    rejection_reason = text()
    rejection_goes_to = maybe(f.String)
    alternate_receiver_id = maybe(f.Integer)
    discrepant = f.Boolean(required=True)
    discrepancy_note = text()
    overdue = f.Boolean(required=True)
    closed_at = maybe(f.String, **TIME)
    head_hash = maybe(f.String, description="the newest event's hash")


ManifestPage = page_of(ManifestReply, "ManifestPage")


class EventReply(ma.Schema):
    seq = integer()
    event = text()
    from_status = maybe(f.String)
    to_status = text()
    actor_id = maybe(f.Integer)
    actor_name = maybe(f.String)
    at = text(**TIME)
    note = text()
    data = f.Dict(required=True, metadata={"description": "what the step recorded"})
    prev_hash = text()
    hash = text(description="SHA-256 over this step and the previous hash")


class EventsReply(ma.Schema):
    manifest_id = integer()
    number = text()
    chain_ok = f.Boolean(
        required=True, metadata={"description": "every stored step still matches its hash"}
    )
    events = f.List(f.Nested(EventReply), required=True)


class FilingReply(ma.Schema):
    id = integer()
    waste_code = text()
    period_kind = text()
    period_key = text()
    period_start = text(**DAY)
    period_end = text(**DAY)
    generated_kg = kg()
    stock_kg = maybe(f.Integer, **KG)
    note = text()
    filed_on = text(**DAY)
    version = integer()


FilingPage = page_of(FilingReply, "FilingPage")


class StatusRowReply(ma.Schema):
    waste_code = text()
    period_key = text()
    due = text(**DAY)
    state = f.String(required=True, metadata={"enum": ["on_time", "late", "missing", "not_due"]})
    filing_id = maybe(f.Integer)
    can_file = f.Boolean(required=True)


class StatusReply(ma.Schema):
    enterprise_id = integer()
    start = text(**DAY)
    end = text(**DAY)
    rows = f.List(f.Nested(StatusRowReply), required=True)


class _StockRow(ma.Schema):
    period_key = text()
    start = text(**DAY)
    end = text(**DAY)
    opening_kg = integer()
    closing_kg = integer()
    oldest_since = maybe(f.String, **DAY)
    held_days = integer()
    flags = f.List(f.String(), required=True)
    manifest_ids = f.List(f.Integer(), required=True)


class GeneratorRowReply(_StockRow):
    generated_kg = kg()
    transferred_kg = kg()
    filing_ids = f.List(f.Integer(), required=True)


class RecyclerRowReply(_StockRow):
    received_kg = kg()
    utilised_kg = kg()
    disposed_kg = kg()


class LedgerCodeReply(ma.Schema):
    code = text()
    name = text()
    generator = f.List(f.Nested(GeneratorRowReply), required=True)
    recycler = f.List(f.Nested(RecyclerRowReply), required=True)


class LedgerReply(ma.Schema):
    enterprise_id = integer()
    kind = text()
    start = text(**DAY)
    end = text(**DAY)
    other_kind_filings = f.Integer(
        required=True, metadata={"description": "filings of another period kind, not counted"}
    )
    codes = f.List(f.Nested(LedgerCodeReply), required=True)
