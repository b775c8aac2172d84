"""Words for licence review and suspension statuses and events."""

from flask_babel import gettext as _
from flask_babel import pgettext


def licence_status(status: str) -> str:
    return {
        "pending": _("awaiting review"),
        "approved": _("approved"),
        "rejected": pgettext("licence", "rejected"),
    }.get(status, status)


def licence_event(event: str) -> str:
    return {
        "submit": _("submitted"),
        "approve": _("approved"),
        "reject": pgettext("licence", "rejected"),
        "resubmit": _("re-submitted"),
        "migrate": _("carried over as approved"),
        "suspend": _("suspended"),
        "reinstate": _("suspension lifted"),
    }.get(event, event)


def register(app) -> None:
    app.add_template_filter(licence_status, "licence_status")
    app.add_template_filter(licence_event, "licence_event")
