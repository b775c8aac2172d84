"""Template filters and globals: money, weights, Beijing time, labels."""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from babel.numbers import format_decimal as babel_format_decimal
from flask import Flask
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from market.clock import BEIJING
from market.db import fen_to_yuan, tonnes
from market.listings.labels import KIND_LABELS, PHYSICAL_FORM_LABELS

# The number patterns used here: decimal places, and whether they are optional ("###")
PATTERNS = {"#,##0.00": (2, False), "#,##0.###": (3, True), "#,##0.0": (1, False)}
_PLAIN: dict[str, bool] = {}  # locale -> writes 1,234,567.891 as babel formats it


def decimal(value, pattern: str) -> str:
    """format_decimal(value, format=pattern), for a hall of cards many times a page: in a
    locale that writes numbers as 1,234.5 (zh_CN and en do; checked against Babel once per
    locale), with Python's own formatting, which rounds as Babel does (half to even, after
    str() of a float); Babel itself in any other locale and for negative numbers."""
    locale = get_locale()
    key = str(locale)
    plain = _PLAIN.get(key)
    if plain is None:
        sample = babel_format_decimal(Decimal("1234567.891"), format="#,##0.###", locale=locale)
        plain = _PLAIN[key] = sample == "1,234,567.891"
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        number = None
    if not plain or number is None or not number.is_finite() or number < 0:
        return format_decimal(value, format=pattern)
    places, optional = PATTERNS[pattern]
    text = format(number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN), f",.{places}f")
    return text.rstrip("0").rstrip(".") if optional else text


def yuan(fen: int | None) -> str:
    if fen is None:
        return "—"
    return "¥" + decimal(fen_to_yuan(fen), "#,##0.00")


def tonnes_label(kg: int | None) -> str:
    if kg is None:
        return "—"
    return _("%(n)s t", n=decimal(tonnes(kg), "#,##0.###"))


def number(n: int | float) -> str:
    """A count or weight with the locale's thousands separators."""
    return decimal(n, "#,##0.###")


def km_label(km: float | None) -> str:
    if km is None:
        return "—"
    return _("%(n)s km", n=decimal(km, "#,##0.0"))


def price_label(fen: int | None) -> str:
    """A price per tonne; a negative one is what it means: a disposal fee the generator pays."""
    if fen is None:
        return "—"
    if fen < 0:
        return _("disposal fee %(amount)s/t, paid by the generator", amount=yuan(-fen))
    return _("%(amount)s/t", amount=yuan(fen))


def beijing(dt) -> str:
    return "—" if dt is None else dt.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def beijing_date(dt) -> str:
    """The day an instant falls on in Beijing (a listing date, when the hour says too much)."""
    return "—" if dt is None else dt.astimezone(BEIJING).strftime("%Y-%m-%d")


ROLE_LABELS = {
    "generator": _l("Waste generator"),
    "recycler": _l("Recycler / disposer"),
    "transporter": _l("Transporter"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(str(role), str(role)))


def current_locale() -> str:
    """ "zh_CN" or "en": Babel expands zh_CN to zh_Hans_CN, templates want the short form."""
    return "en" if get_locale().language == "en" else "zh_CN"


BID_STATUS_LABELS = {
    "active": _l("active"),
    "withdrawn": _l("withdrawn"),
    "accepted": _l("accepted"),
    "rejected": _l("not chosen"),
    "lapsed": _l("lapsed"),
    "cancelled": _l("deal cancelled"),
}


def bid_status_label(status: str) -> str:
    return str(BID_STATUS_LABELS.get(status, status))


DEAL_STATUS_LABELS = {
    "made": _l("made"),
    "cancelled": _l("cancelled"),
    "completed": _l("completed"),
}


def deal_status_label(status: str) -> str:
    return str(DEAL_STATUS_LABELS.get(status, status))


PAYMENT_STATUS_LABELS = {
    None: _l("no payment (zero amount)"),
    "pending": _l("awaiting payment"),
    "authorised": _l("authorised"),
    "captured": _l("captured"),
    "cancelled": _l("released"),
    "failed": _l("refused"),
}


def payment_status_label(status: str | None) -> str:
    return str(PAYMENT_STATUS_LABELS.get(status, status))


def payment_problem(reason: str | None) -> str:
    """Why a payment did not go through, worded by the product: the gateway's own text
    goes to the log, never to the page."""
    if not reason:
        return ""
    return {
        "no_method": _("No payment method is on file for the paying enterprise."),
        "declined": _("The card was declined."),
        "unavailable": _("The payment service could not be reached."),
    }.get(reason, _("The payment service refused the payment."))


def physical_form_label(form: str) -> str:
    return str(PHYSICAL_FORM_LABELS.get(form, form))


def attachment_kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def file_size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def register(app: Flask) -> None:
    from market.listings.lifecycle import event_label, status_label

    app.add_template_filter(yuan)
    app.add_template_filter(number)
    app.add_template_filter(tonnes_label, "tonnes")
    app.add_template_filter(km_label, "km")
    app.add_template_filter(price_label, "price")
    app.add_template_filter(beijing)
    app.add_template_filter(beijing_date)
    app.add_template_filter(status_label)
    app.add_template_filter(event_label)
    app.add_template_filter(role_label)
    app.add_template_filter(bid_status_label)
    app.add_template_filter(deal_status_label)
    app.add_template_filter(payment_status_label)
    app.add_template_filter(payment_problem)
    app.add_template_filter(physical_form_label)
    app.add_template_filter(attachment_kind_label)
    app.add_template_filter(file_size)
    app.add_template_global(current_locale)
