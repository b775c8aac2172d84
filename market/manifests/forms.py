"""Forms for the manifest steps, and the functions turning each into its service input.

Weights are typed in whole kilograms (what a weighbridge prints); times are typed as
Beijing wall-clock time (datetime-local) and handed to the services as aware UTC. The
forms check shape only; the services check every rule and name the field they refuse.
"""

import secrets
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from market import clock
from market.clock import BEIJING
from market.formfields import choices, strip
from market.manifests import queries
from market.manifests.checks import TREATMENT_METHODS
from market.manifests.services import (
    CorrectionInput,
    PickupInput,
    ReceiptInput,
    RejectInput,
    StartInput,
)
from market.manifests.weights import ROAD_LIMIT_KG

KG = [InputRequired(), NumberRange(min=1, max=ROAD_LIMIT_KG)]
OPTIONAL_KG = [Optional(), NumberRange(min=1, max=ROAD_LIMIT_KG)]
WHEN = "%Y-%m-%dT%H:%M"
TREATMENTS = (("utilise", _l("utilisation (利用)")), ("dispose", _l("disposal (处置)")))
DESTINATIONS = (
    ("generator", _l("back to the generator")),
    ("other", _l("to another receiver")),
)


def beijing_now() -> datetime:
    """Now as Beijing wall-clock time to the minute: the default of a datetime-local field."""
    return clock.local(clock.now()).replace(tzinfo=None, second=0, microsecond=0)


def to_utc(local: datetime | None) -> datetime | None:
    """A datetime-local value (Beijing wall-clock time) as an aware UTC instant."""
    return None if local is None else local.replace(tzinfo=BEIJING).astimezone(UTC)


def method_choices(blank: bool = False) -> list:
    pairs = [(m, m) for kind in TREATMENT_METHODS for m in TREATMENT_METHODS[kind]]
    return choices(*([("", _l("unchanged"))] if blank else []), *pairs)


class StartForm(FlaskForm):
    declared_kg = IntegerField(_l("Declared weight (kg)"), validators=KG)
    transporter_id = SelectField(_l("Transporter"), coerce=int, validators=[InputRequired()])
    packaging = StringField(_l("Packaging"), filters=[strip], validators=[Length(max=80)])
    package_count = IntegerField(
        _l("Number of packages"), default=0, validators=[Optional(), NumberRange(0, 100_000)]
    )
    waste_name = StringField(
        _l("Waste name"),
        filters=[strip],
        validators=[Length(max=80)],
        description=_l("Empty: the name on the lot."),
    )
    # Made with the form: the same form sent twice starts one manifest, not two.
    request_key = HiddenField(default=lambda: secrets.token_urlsafe(24))

    @classmethod
    def for_deal(cls, deal, **kw) -> "StartForm":
        """The form with the transporters to choose from (the deal's recycler among them)."""
        form = cls(**kw)
        rows = queries.transporters(deal.generator.park_id, deal)
        form.transporter_id.choices = [(e.id, e.name) for e in rows]
        return form


class PickupForm(FlaskForm):
    plate = StringField(
        _l("Vehicle plate"),
        filters=[strip],
        validators=[DataRequired(), Length(max=20)],
        description=_l("e.g. 京A12345, or 京AD12345 for a new-energy vehicle"),
    )
    driver_name = StringField(
        _l("Driver's name"), filters=[strip], validators=[DataRequired(), Length(max=40)]
    )
    driver_phone = StringField(
        _l("Driver's phone"),
        filters=[strip],
        validators=[DataRequired(), Length(max=20)],
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )
    picked_up_at = DateTimeLocalField(
        _l("Picked up at (Beijing time)"),
        format=WHEN,
        default=beijing_now,
        validators=[DataRequired()],
    )


class ReceiptForm(FlaskForm):
    received_kg = IntegerField(_l("Weighed weight accepted (kg)"), validators=KG)
    received_at = DateTimeLocalField(
        _l("Received at (Beijing time)"),
        format=WHEN,
        default=beijing_now,
        validators=[DataRequired()],
    )
    treatment = SelectField(_l("Treatment"), choices=choices(*TREATMENTS))
    treatment_method = SelectField(_l("Way of treatment"), choices=method_choices())
    rejected_kg = IntegerField(
        _l("Rejected part (kg)"), default=0, validators=[Optional(), NumberRange(0, ROAD_LIMIT_KG)]
    )
    rejection_reason = TextAreaField(
        _l("Why the part is rejected"), filters=[strip], validators=[Length(max=500)]
    )
    rejection_goes_to = SelectField(
        _l("The rejected part goes"), choices=choices(("", "—"), *DESTINATIONS), default=""
    )
    alternate_receiver_id = SelectField(_l("Other receiver"), coerce=int, default=0)
    discrepancy_note = TextAreaField(
        _l("Note on the weight difference"),
        filters=[strip],
        validators=[Length(max=2000)],
        description=_l("Needed when the weight differs from the declared one beyond tolerance."),
    )

    @classmethod
    def for_manifest(cls, manifest, **kw) -> "ReceiptForm":
        form = cls(**kw)
        form.alternate_receiver_id.choices = receiver_choices(manifest)
        return form


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the load is rejected"),
        filters=[strip],
        validators=[DataRequired(), Length(max=500)],
    )
    goes_to = SelectField(_l("The load goes"), choices=choices(*DESTINATIONS))
    alternate_receiver_id = SelectField(_l("Other receiver"), coerce=int, default=0)

    @classmethod
    def for_manifest(cls, manifest, **kw) -> "RejectForm":
        form = cls(**kw)
        form.alternate_receiver_id.choices = receiver_choices(manifest)
        return form


def receiver_choices(manifest) -> list:
    others = queries.other_receivers(manifest)
    return [(0, "—")] + [(e.id, e.name) for e in others]


class CorrectionForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the correction"),
        filters=[strip],
        validators=[DataRequired(), Length(max=500)],
    )
    declared_kg = IntegerField(_l("Declared weight (kg)"), validators=OPTIONAL_KG)
    received_kg = IntegerField(_l("Weighed weight accepted (kg)"), validators=OPTIONAL_KG)
    treatment = SelectField(
        _l("Treatment"), choices=choices(("", _l("unchanged")), *TREATMENTS), default=""
    )
    treatment_method = SelectField(
        _l("Way of treatment"), choices=method_choices(blank=True), default=""
    )
    plate = StringField(_l("Vehicle plate"), filters=[strip], validators=[Length(max=20)])
    driver_name = StringField(_l("Driver's name"), filters=[strip], validators=[Length(max=40)])


class ConsentForm(FlaskForm):
    extra_kg = IntegerField(
        _l("Accept up to this much beyond the deal (kg)"),
        validators=[InputRequired(), NumberRange(min=0, max=10_000_000)],
    )


def start_input(form: StartForm) -> StartInput:
    d = form.data
    return StartInput(
        declared_kg=d["declared_kg"],
        transporter_id=d["transporter_id"],
        packaging=d["packaging"] or "",
        package_count=d["package_count"] or 0,
        waste_name=d["waste_name"] or "",
        request_key=d["request_key"] or None,
    )


def pickup_input(form: PickupForm) -> PickupInput:
    d = form.data
    return PickupInput(
        plate=d["plate"],
        driver_name=d["driver_name"],
        driver_phone=d["driver_phone"],
        picked_up_at=to_utc(d["picked_up_at"]),
    )


def receipt_input(form: ReceiptForm) -> ReceiptInput:
    d = form.data
    return ReceiptInput(
        received_kg=d["received_kg"],
        received_at=to_utc(d["received_at"]),
        treatment=d["treatment"],
        treatment_method=d["treatment_method"],
        rejected_kg=d["rejected_kg"] or 0,
        rejection_reason=d["rejection_reason"] or "",
        rejection_goes_to=d["rejection_goes_to"] or None,
        alternate_receiver_id=d["alternate_receiver_id"] or None,
        discrepancy_note=d["discrepancy_note"] or "",
    )


def reject_input(form: RejectForm) -> RejectInput:
    d = form.data
    return RejectInput(
        reason=d["reason"],
        goes_to=d["goes_to"],
        alternate_receiver_id=d["alternate_receiver_id"] or None,
    )


def correction_input(form: CorrectionForm) -> CorrectionInput:
    d = form.data
    return CorrectionInput(
        reason=d["reason"],
        declared_kg=d["declared_kg"],
        received_kg=d["received_kg"],
        treatment=d["treatment"] or None,
        treatment_method=d["treatment_method"] or None,
        plate=d["plate"] or None,
        driver_name=d["driver_name"] or None,
    )


def consent_kg(form: ConsentForm) -> int:
    return form.extra_kg.data
