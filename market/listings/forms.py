"""Forms for supply and demand listings, bids and the browse filter."""

import re
from datetime import UTC, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    FloatField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from market import clock
from market.clock import BEIJING
from market.db import fen_to_yuan, tonnes
from market.formfields import Finite, choices, site_choice, site_field, strip
from market.listings.bidding import BidInput
from market.listings.labels import KIND_LABELS, PHYSICAL_FORM_LABELS
from market.listings.services import DemandInput, SupplyInput

MONTH, YEAR = timedelta(days=30), timedelta(days=365)

TITLE = [DataRequired(), Length(max=120)]
LONG_TEXT = [Optional(), Length(max=4000)]
PRICE = [Optional(), Finite(), NumberRange(min=-10_000_000, max=10_000_000)]
LAT = [Optional(), Finite(), NumberRange(3, 54, _l("The coordinates are outside China."))]
LON = [Optional(), Finite(), NumberRange(73, 136, _l("The coordinates are outside China."))]


def address_field() -> StringField:
    return StringField(
        _l("Site address"),
        filters=[strip],
        description=_l(
            "Empty: the chosen site's address, or your enterprise's. Another address without "
            "coordinates is placed at the park."
        ),
        validators=[Length(max=200)],
    )


def lat_field() -> FloatField:
    return FloatField(_l("Latitude"), validators=LAT, description=_l("Optional, e.g. 39.79."))


def lon_field() -> FloatField:
    return FloatField(_l("Longitude"), validators=LON, description=_l("Optional, e.g. 116.51."))


class SupplyForm(FlaskForm):
    waste_code = StringField(
        _l("Waste code"),
        filters=[strip],
        validators=[DataRequired(), Length(max=200)],
        description=_l("Type the name your plant uses or a code, then pick from the list."),
        render_kw={"data-code-autocomplete": "1", "autocomplete": "off"},
    )
    title = StringField(_l("Title"), filters=[strip], validators=TITLE)
    local_name = StringField(
        _l("Name used in the plant"), filters=[strip], validators=[DataRequired(), Length(max=80)]
    )
    description = TextAreaField(_l("Description"), filters=[strip], validators=LONG_TEXT)
    quantity = DecimalField(
        _l("Quantity"),
        places=3,
        validators=[DataRequired(), Finite(), NumberRange(min=0.001, max=10_000_000_000)],
    )
    unit = SelectField(
        _l("Unit"),
        default="t",
        choices=choices(("t", _l("tonnes")), ("m3", _l("cubic metres")), ("piece", _l("pieces"))),
    )
    kg_per_unit = IntegerField(
        _l("Kilograms per unit (m³ or piece)"),
        validators=[Optional(), NumberRange(min=1, max=10_000_000)],
    )
    recurrence = SelectField(
        _l("Recurrence"),
        default="once",
        choices=choices(
            ("once", _l("one-off")), ("weekly", _l("every week")), ("monthly", _l("every month"))
        ),
    )
    packaging = StringField(_l("Packaging"), filters=[strip], validators=[Length(max=80)])
    physical_form = SelectField(
        _l("Physical form"),
        default="",
        choices=choices(("", _l("— not stated —")), *PHYSICAL_FORM_LABELS.items()),
    )
    main_components = StringField(
        _l("Main components"),
        filters=[strip],
        validators=[Length(max=200)],
        description=_l("For example: Fe 60%, oil 5%, water 10%."),
    )
    site_id = site_field()
    address = address_field()
    lat = lat_field()
    lon = lon_field()
    available_from = DateField(
        _l("Available from"), default=lambda: clock.today(), validators=[DataRequired()]
    )
    available_until = DateField(
        _l("Available until"), default=lambda: clock.today() + MONTH, validators=[DataRequired()]
    )
    asking_price_yuan = DecimalField(
        _l("Asking price (yuan per tonne)"),
        places=2,
        default=0,
        validators=PRICE,
        description=_l("Negative means you pay a disposal fee."),
    )
    bidding_mode = SelectField(
        _l("Bidding mode"),
        default="open",
        choices=choices(("open", _l("open ascending")), ("sealed", _l("sealed"))),
    )
    bid_deadline = DateTimeLocalField(
        _l("Bidding deadline (Beijing time)"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )


class DemandForm(FlaskForm):
    waste_codes = StringField(
        _l("Accepted waste codes"),
        filters=[strip],
        description=_l("Several codes separated by commas."),
        validators=[DataRequired(), Length(max=4000)],
        render_kw={"data-code-autocomplete": "multi", "autocomplete": "off"},
    )
    title = StringField(_l("Title"), filters=[strip], validators=TITLE)
    licence_id = SelectField(_l("Licence"), coerce=int, default=0)
    remaining_capacity_t = DecimalField(
        _l("Remaining capacity for the period (t)"),
        places=3,
        validators=[DataRequired(), Finite(), NumberRange(min=0.001, max=10_000_000)],
    )
    service_radius_km = IntegerField(
        _l("Service radius (km)"),
        default=50,
        validators=[DataRequired(), NumberRange(min=1, max=3000)],
    )
    price_offered_yuan = DecimalField(
        _l("Price offered (yuan per tonne)"),
        places=2,
        default=0,
        validators=PRICE,
        description=_l("Negative means you charge a disposal fee."),
    )
    description = TextAreaField(_l("Description"), filters=[strip], validators=LONG_TEXT)
    quality_requirements = TextAreaField(
        _l("Quality requirements"), filters=[strip], validators=LONG_TEXT
    )
    site_id = site_field()
    address = address_field()
    lat = lat_field()
    lon = lon_field()
    available_from = DateField(
        _l("Available from"), default=lambda: clock.today(), validators=[DataRequired()]
    )
    available_until = DateField(
        _l("Available until"), default=lambda: clock.today() + YEAR, validators=[DataRequired()]
    )


class BrowseForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(
        _l("Listings"),
        choices=choices(("supply", _l("Supply")), ("demand", _l("Demand"))),
        default="supply",
    )
    code = StringField(
        _l("Code, category or name"),
        filters=[strip],
        validators=[Length(max=40)],
        render_kw={"data-code-autocomplete": "1", "autocomplete": "off"},
    )
    hazardous = SelectField(
        _l("Hazardous"),
        choices=choices(("", _l("any")), ("yes", _l("hazardous")), ("no", _l("not hazardous"))),
        default="",
    )
    within_km = IntegerField(_l("Within (km)"), validators=[Optional(), NumberRange(1, 5000)])
    min_t = DecimalField(_l("Min. tonnes"), validators=[Optional(), Finite(), NumberRange(0)])
    max_t = DecimalField(_l("Max. tonnes"), validators=[Optional(), Finite(), NumberRange(0)])
    min_price = DecimalField(_l("Min. price"), validators=PRICE)
    max_price = DecimalField(_l("Max. price"), validators=PRICE)
    park_id = SelectField(_l("Park"), coerce=int, default=0)
    sort = SelectField(
        _l("Sort"),
        choices=choices(
            ("newest", _l("newest")),
            ("distance", _l("nearest")),
            ("price", _l("price")),
            ("quantity", _l("quantity")),
            ("match", _l("best match for my demand")),
        ),
        default="newest",
    )
    page = IntegerField(validators=[Optional(), NumberRange(1, 100000)], default=1)


class PublicBrowseForm(FlaskForm):
    """The trading hall as anonymous visitors see it: only filters on what they are shown
    (no price, no distance from a site they do not have), so no filter or order can reveal
    a hidden field."""

    class Meta:
        csrf = False

    kind = BrowseForm.kind
    code = BrowseForm.code
    hazardous = BrowseForm.hazardous
    min_t = BrowseForm.min_t
    max_t = BrowseForm.max_t
    park_id = BrowseForm.park_id
    sort = SelectField(
        _l("Sort"),
        choices=choices(("newest", _l("newest")), ("quantity", _l("quantity"))),
        default="newest",
    )
    page = BrowseForm.page


class BidForm(FlaskForm):
    price_yuan = DecimalField(
        _l("Price (yuan per tonne)"),
        places=2,
        validators=[
            InputRequired(_l("Enter your price per tonne.")),
            Finite(),
            NumberRange(
                -10_000_000, 10_000_000, _l("A price lies between -10,000,000 and 10,000,000.")
            ),
        ],
        description=_l("Negative means the generator pays you a disposal fee."),
    )
    quantity_t = DecimalField(
        _l("Quantity (t)"),
        places=3,
        validators=[
            DataRequired(_l("Enter the tonnes you bid for.")),
            Finite(),
            NumberRange(0.001, 1e7, _l("The quantity must be more than zero.")),
        ],
    )
    valid_until = DateTimeLocalField(
        _l("Valid until (Beijing time)"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("Empty: until the bidding deadline."),
    )
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Optional(), Length(max=1000)])


class AttachmentForm(FlaskForm):
    file = FileField(
        _l("The file"),
        validators=[FileRequired(_l("Choose a file."))],
        description=_l("PNG or JPEG photos, PDF documents."),
        render_kw={"accept": "image/png,image/jpeg,application/pdf"},
    )
    kind = SelectField(
        _l("What it is"),
        default="photo",
        choices=choices(*KIND_LABELS.items()),
    )
    caption = StringField(_l("Caption"), filters=[strip], validators=[Length(max=200)])


class ConfirmForm(FlaskForm):
    """A step that cannot be undone (accepting a bid, withdrawing one or a listing) is asked
    for twice: its page shows what will happen, and the box must be ticked."""

    confirm = BooleanField(
        _l("Yes, I mean it."), validators=[DataRequired(_l("Tick the box to confirm."))]
    )


def bid_input(form: BidForm) -> BidInput:
    return BidInput(
        price_yuan=form.price_yuan.data,
        quantity_t=form.quantity_t.data,
        valid_until=_utc(form.valid_until.data),
        note=form.note.data or "",
    )


def _utc(local):
    if local is None:
        return None
    return local.replace(tzinfo=BEIJING).astimezone(UTC)


def supply_input(form: SupplyForm) -> SupplyInput:
    d = form.data
    return SupplyInput(
        waste_code=d["waste_code"],
        title=d["title"],
        local_name=d["local_name"],
        quantity=d["quantity"],
        unit=d["unit"],
        kg_per_unit=d["kg_per_unit"],
        description=d["description"] or "",
        recurrence=d["recurrence"],
        packaging=d["packaging"] or "",
        physical_form=d["physical_form"] or "",
        main_components=d["main_components"] or "",
        site_id=d["site_id"] or None,
        address=d["address"] or "",
        lat=d["lat"],
        lon=d["lon"],
        available_from=d["available_from"],
        available_until=d["available_until"],
        asking_price_yuan=d["asking_price_yuan"] or 0,
        bidding_mode=d["bidding_mode"],
        bid_deadline=_utc(d["bid_deadline"]),
    )


def split_codes(text: str) -> list[str]:
    return [c.strip().split(" ")[0] for c in re.split(r"[,，;；\n]+", text or "") if c.strip()]


def demand_input(form: DemandForm) -> DemandInput:
    d = form.data
    return DemandInput(
        waste_codes=split_codes(d["waste_codes"]),
        title=d["title"],
        licence_id=d["licence_id"] or None,
        remaining_capacity_t=d["remaining_capacity_t"],
        service_radius_km=d["service_radius_km"],
        price_offered_yuan=d["price_offered_yuan"] or 0,
        description=d["description"] or "",
        quality_requirements=d["quality_requirements"] or "",
        site_id=d["site_id"] or None,
        address=d["address"] or "",
        lat=d["lat"],
        lon=d["lon"],
        available_from=d["available_from"],
        available_until=d["available_until"],
    )


def fill_supply_form(form: SupplyForm, listing) -> None:
    form.process(obj=listing)
    form.waste_code.data = listing.waste_code.code
    form.asking_price_yuan.data = fen_to_yuan(listing.asking_price_fen)
    if listing.bid_deadline:
        form.bid_deadline.data = listing.bid_deadline.astimezone(BEIJING).replace(tzinfo=None)


def fill_demand_form(form: DemandForm, listing) -> None:
    form.process(obj=listing)
    form.waste_codes.data = ", ".join(c.code for c in listing.codes)
    form.licence_id.data = listing.licence_id or 0
    form.remaining_capacity_t.data = tonnes(listing.remaining_capacity_kg)
    form.price_offered_yuan.data = fen_to_yuan(listing.price_offered_fen)


def site_choices(form, park_id: int, none_label) -> None:
    from market.accounts.sites import sites_of

    form.site_id.choices = [SelectChoice(0, none_label), *map(site_choice, sites_of(park_id))]


def park_choices(all_label) -> list:
    from market.accounts.models import Park
    from market.extensions import db

    parks = db.session.execute(db.select(Park).order_by(Park.id)).scalars()
    return choices((0, all_label), *((p.id, p.name) for p in parks))
