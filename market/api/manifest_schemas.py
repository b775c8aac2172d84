"""What the manifest, filing and ledger operations accept: shape, type and bounds only.
Weights, plates, phones, times, treatments, periods and who may sign stay in the services."""

from datetime import date

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from market.api.fields import (
    ID_MAX,
    Day,
    Int,
    LocalMinute,
    QueryInt,
    Str,
    an_id,
    at_most,
    between,
    one_of,
)
from market.api.schemas import Schema
from market.manifests.checks import TREATMENT_METHODS
from market.manifests.filings import KINDS, MAX_KG
from market.manifests.states import ManifestStatus

KG = between(0, MAX_KG)  # the services say why 0, or more than a vehicle carries, is refused
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
METHODS = tuple(m for methods in TREATMENT_METHODS.values() for m in methods)
NOW = {"description": "Beijing time to the minute; default: now"}


def a_day(value: date) -> None:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ma.ValidationError(
            _l("Choose a day from %(low)s to %(high)s.", low=FIRST_DAY, high=LAST_DAY)
        )


def text(n: int, **kwargs) -> Str:
    return Str(validate=at_most(n), **kwargs)


def kg(**kwargs) -> Int:
    return Int(validate=KG, metadata={"description": "whole kilograms"}, **kwargs)


class ManifestArgs(Schema):
    status = Str(validate=one_of(*(s.value for s in ManifestStatus)))
    page = QueryInt(validate=between(1, 100_000))


class StartIn(Schema):
    declared_kg = kg(required=True)
    transporter_id = an_id(
        required=True,
        metadata={"description": "a transporter, or the deal's recycler collecting itself"},
    )
    packaging = text(80)
    package_count = Int(validate=between(0, 100_000))
    waste_name = text(80, metadata={"description": "default: the lot's local name"})
    request_key = Str(
        validate=at_most(64),
        metadata={
            "description": "an idempotency key (8–64 of A–Z a–z 0–9 . _ : -), e.g. a UUID; "
            "also accepted as the Idempotency-Key header. A start sent again with it answers "
            "200 with the manifest it started (header Idempotent-Replayed: true), not a "
            "second manifest; with other values, 409."
        },
    )


class PickupIn(Schema):
    plate = Str(required=True, validate=at_most(20), metadata={"example": "京A12345"})
    driver_name = Str(required=True, validate=at_most(40), metadata={"example": "李师傅"})
    driver_phone = Str(required=True, validate=at_most(40), metadata={"example": "13912345678"})
    picked_up_at = LocalMinute(metadata=NOW)


class ReceiptIn(Schema):
    received_kg = kg(required=True)
    received_at = LocalMinute(metadata=NOW)
    treatment = Str(required=True, validate=one_of(*TREATMENT_METHODS))
    treatment_method = Str(required=True, validate=one_of(*METHODS))
    rejected_kg = kg()
    rejection_reason = text(500)
    rejection_goes_to = Str(allow_none=True, validate=one_of("generator", "other"))
    alternate_receiver_id = an_id(allow_none=True)
    discrepancy_note = text(2000, metadata={"description": "required beyond the tolerance"})


class RejectIn(Schema):
    reason = Str(required=True, validate=at_most(500))
    goes_to = Str(required=True, validate=one_of("generator", "other"))
    alternate_receiver_id = an_id(allow_none=True)


class ReasonIn(Schema):
    reason = Str(required=True, validate=at_most(500))


class CorrectionIn(Schema):
    """Only one's own signed fields; the others are refused with their name."""

    reason = Str(required=True, validate=at_most(500))
    declared_kg = kg(allow_none=True)
    received_kg = kg(allow_none=True)
    treatment = Str(allow_none=True, validate=one_of(*TREATMENT_METHODS))
    treatment_method = Str(allow_none=True, validate=one_of(*METHODS))
    plate = Str(allow_none=True, validate=at_most(20))
    driver_name = Str(allow_none=True, validate=at_most(40))


class FilingIn(Schema):
    waste_code = Str(required=True, validate=at_most(200), metadata={"example": "900-214-08"})
    period_key = Str(
        required=True,
        validate=at_most(10),
        metadata={"description": "2026-W48, 2026-11, 2026-Q4 or 2026", "example": "2026-10"},
    )
    generated_kg = kg(required=True)
    stock_kg = kg(allow_none=True)
    note = text(2000)


class PageArgs(Schema):
    page = QueryInt(validate=between(1, 100_000))


class StatusArgs(Schema):
    enterprise_id = QueryInt(
        validate=between(1, ID_MAX),
        metadata={"description": "park administrators: an enterprise of their park"},
    )
    start = Day(validate=a_day, metadata={"description": "default: a year ago"})
    end = Day(validate=a_day, metadata={"description": "default: 100 days ahead"})


class LedgerArgs(Schema):
    code = Str(validate=at_most(40), metadata={"description": "only this waste code"})
    kind = Str(validate=one_of(*KINDS), metadata={"description": "default: the current tier"})
    start = Day(data_key="from", validate=a_day, metadata={"description": "default: 12 periods"})
    end = Day(data_key="to", validate=a_day, metadata={"description": "default: today"})
    enterprise_id = QueryInt(
        validate=between(1, ID_MAX),
        metadata={"description": "park administrators: an enterprise of their park"},
    )
