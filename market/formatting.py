"""Template filters and globals: money, weights, Beijing time, labels."""

from flask import Flask
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from market.clock import BEIJING
from market.db import fen_to_yuan, tonnes
from market.listings.labels import KIND_LABELS, PHYSICAL_FORM_LABELS


def yuan(fen: int | None) -> str:
    if fen is None:
        return "—"
    return "¥" + format_decimal(fen_to_yuan(fen), format="#,##0.00")


def tonnes_label(kg: int | None) -> str:
    if kg is None:
        return "—"
    return _("%(n)s t", n=format_decimal(tonnes(kg), format="#,##0.###"))


def number(n: int | float) -> str:
    """A count or weight with the locale's thousands separators."""
    return format_decimal(n, format="#,##0.###")


def km_label(km: float | None) -> str:
    if km is None:
        return "—"
    return _("%(n)s km", n=format_decimal(km, format="#,##0.0"))


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
