"""Template filters and globals: money, weights, Beijing time, labels."""

from flask import Flask
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

from market.clock import BEIJING
from market.db import fen_to_yuan, tonnes


def yuan(fen: int | None) -> str:
    if fen is None:
        return "—"
    return "¥" + format_decimal(fen_to_yuan(fen), format="#,##0.00")


def tonnes_label(kg: int | None) -> str:
    if kg is None:
        return "—"
    return format_decimal(tonnes(kg), format="#,##0.###") + " t"


def beijing(dt) -> str:
    return "—" if dt is None else dt.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def role_label(role: str) -> str:
    return {
        "generator": _("Waste generator"),
        "recycler": _("Recycler / disposer"),
        "transporter": _("Transporter"),
    }.get(str(role), str(role))


def current_locale() -> str:
    """ "zh_CN" or "en": Babel expands zh_CN to zh_Hans_CN, templates want the short form."""
    return "en" if get_locale().language == "en" else "zh_CN"


def bid_status_label(status: str) -> str:
    return {
        "active": _("active"),
        "withdrawn": _("withdrawn"),
        "accepted": _("accepted"),
        "rejected": _("not chosen"),
        "lapsed": _("lapsed"),
    }.get(status, status)


def deal_status_label(status: str) -> str:
    return {"made": _("made"), "cancelled": _("cancelled"), "completed": _("completed")}.get(
        status, status
    )


def payment_status_label(status: str | None) -> str:
    return {
        None: _("no payment (zero amount)"),
        "pending": _("awaiting payment"),
        "authorised": _("authorised"),
        "captured": _("captured"),
        "cancelled": _("released"),
        "failed": _("refused"),
    }.get(status, status)


def unread_messages() -> int:
    from flask_login import current_user

    from market.inbox.services import unread_count

    if not getattr(current_user, "is_authenticated", False):
        return 0
    return unread_count(current_user)


def register(app: Flask) -> None:
    from market.listings.lifecycle import event_label, status_label

    app.add_template_filter(yuan)
    app.add_template_filter(tonnes_label, "tonnes")
    app.add_template_filter(beijing)
    app.add_template_filter(status_label)
    app.add_template_filter(event_label)
    app.add_template_filter(role_label)
    app.add_template_filter(bid_status_label)
    app.add_template_filter(deal_status_label)
    app.add_template_filter(payment_status_label)
    app.add_template_global(current_locale)
    app.add_template_global(unread_messages)
