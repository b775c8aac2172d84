"""Labels of a lot's physical forms and of its attachments' kinds, in the user's language."""

from flask_babel import lazy_gettext as _l

PHYSICAL_FORM_LABELS = {
    "solid": _l("solid"),
    "sludge": _l("semi-solid / sludge"),
    "liquid": _l("liquid"),
    "powder": _l("powder / dust"),
    "gas_container": _l("gas in a container"),
    "mixed": _l("mixed"),
}

KIND_LABELS = {
    "photo": _l("Photo"),
    "lab_report": _l("Lab report"),
    "msds": _l("MSDS"),
    "other": _l("Other document"),
}
