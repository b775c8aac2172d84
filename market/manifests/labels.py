"""Words and numbers on the manifest pages: statuses, events, due-date rules, treatments,
weights in kg and a version's changed fields, as template filters."""

import json

from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from market.manifests.checks import TREATMENT_METHODS
from market.manifests.sheet import normal_locale, status_label


def kg(value: int | None) -> str:
    return "—" if value is None else _("%(n)s kg", n=format_decimal(value, format="#,##0"))


def manifest_status_label(status: str) -> str:
    """The status in the request's language, from the one table the printed sheet uses."""
    return status_label(status, normal_locale(get_locale()))


def due_rule_label(rule: str | None) -> str:
    return {
        "official": _("official calendar"),
        "park_list": _("weekdays + park list"),
        "mixed": _("mixed: official calendar, then weekdays + park list"),
    }.get(rule or "", rule or "—")


def treatment_label(treatment: str | None) -> str:
    return {"utilise": _("utilisation"), "dispose": _("disposal")}.get(treatment or "", "—")


def manifest_event_label(event: str) -> str:
    return {
        "create": _("created"),
        "edit": _("draft edited"),
        "submit": _("submitted (generator's signature)"),
        "cancel": _("cancelled"),
        "pick_up": _("picked up (transporter's signature)"),
        "hand_over": _("handed over to the next carrier"),
        "mark_overdue": _("receipt overdue"),
        "receive": _("received (receiver's signature)"),
        "receive_part": _("received with a part rejected"),
        "reject": _("whole load rejected"),
        "explain_discrepancy": _("discrepancy explained"),
        "close": _("closed"),
        "correct": _("corrected (new version)"),
    }.get(event, event)


VERSIONED = {
    "declared_kg": _l("Declared weight"),
    "received_kg": _l("Received weight"),
    "rejected_kg": _l("Rejected weight"),
    "treatment": _l("Treatment"),
    "treatment_method": _l("Treatment method"),
    "plate": _l("Vehicle plate"),
    "driver_name": _l("Driver"),
    "discrepant": _l("Weight discrepancy"),
    "discrepancy_note": _l("Discrepancy note"),
}


def _shown(key: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key.endswith("_kg") and isinstance(value, int):
        return kg(value)
    if key == "treatment":
        return treatment_label(value)
    return str(value)


def _data(version) -> dict:
    try:
        data = json.loads(version.data or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _order(key: str) -> int:
    order = list(VERSIONED)
    return order.index(key) if key in order else len(order)


def version_changes(versions: list) -> list[tuple[object, list[tuple[str, str, str]]]]:
    """Each stored version with what changed from the one before: (label, before, after)."""
    shown, before = [], None
    for version in versions:
        data = _data(version)
        changes = []
        if before is not None:
            for key in sorted(set(data) | set(before), key=_order):
                if data.get(key) != before.get(key):
                    old, new = _shown(key, before.get(key)), _shown(key, data.get(key))
                    changes.append((str(VERSIONED.get(key, key)), old, new))
        shown.append((version, changes))
        before = data
    return shown


def method_choices(blank: str | None = None) -> list[SelectChoice]:
    """The ways of treatment under an optgroup each: 利用 (utilisation), 处置 (disposal)."""
    found = [SelectChoice("", blank)] if blank is not None else []
    for kind, methods in TREATMENT_METHODS.items():
        group = treatment_label(kind)
        found += [SelectChoice(m, m, optgroup=group) for m in methods]
    return found


FILTERS = {
    "kg": kg,
    "manifest_status_label": manifest_status_label,
    "due_rule_label": due_rule_label,
    "treatment_label": treatment_label,
    "manifest_event_label": manifest_event_label,
    "version_changes": version_changes,
}
