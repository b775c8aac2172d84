"""Words for the warning pages: categories, levels, statuses, events, rules and each
warning's cause in a sentence."""

import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from market.formatting import tonnes_label

CATEGORIES = {
    "generation": _l("Generation (产生)"),
    "transfer": _l("Transfer (转移)"),
    "stock": _l("Stock (库存)"),
    "operation": _l("Operation (经营)"),
    "declaration": _l("Declaration (申报)"),
}
LEVELS = {"low": _l("low"), "medium": _l("medium"), "high": _l("high")}
STATUSES = {
    "sent": _l("waiting for the enterprise's answer"),
    "raised": _l("with the administrator"),
    "forwarded": _l("waiting for rectification"),
    "rectified": _l("rectification to check"),
    "closed": _l("closed"),
    "auto_closed": _l("closed by itself"),
}
RULES = {
    "late_receipt": _l("Receipt not signed in time"),
    "weight_discrepancy": _l("Weight discrepancy"),
    "stock_held": _l("Stock held past the storage limit"),
    "over_capacity": _l("Received over the licensed capacity"),
    "expired_licence": _l("Received without a valid licence"),
    "missing_filing": _l("Periodic filing missing"),
    "under_declared": _l("Declared generation below what was shipped"),
    "generation_spike": _l("Generation far above the enterprise's own history"),
    "lot_no_bid": _l("Lot open with no bid"),
}
EVENTS = {
    "raise": _l("raised"),
    "answer": _l("answered"),
    "forward": _l("forwarded to the enterprise"),
    "rectify": _l("rectification sent"),
    "accept": _l("rectification accepted"),
    "return": _l("rectification returned"),
    "record": _l("outcome recorded"),
    "escalate": _l("escalated (overdue)"),
    "auto_close": _l("closed by itself"),
}


def warning_category(value: str) -> str:
    return str(CATEGORIES.get(value, value))


def warning_level(value: str) -> str:
    return str(LEVELS.get(value, value))


def warning_status(value: str) -> str:
    return str(STATUSES.get(value, value))


def warning_rule(value: str) -> str:
    return str(RULES.get(value, value))


def warning_event(value: str) -> str:
    return str(EVENTS.get(value, value))


def warning_level_class(value: str) -> str:
    return {"low": "info", "medium": "warning", "high": "danger"}.get(value, "secondary")


def _cause_texts(f: dict, number) -> dict:
    """Per rule: the sentence (translated, not yet filled in) and what fills it."""
    t = tonnes_label
    return {
        "late_receipt": lambda: (_("Manifest %(number)s was due to be signed for by %(due)s."),
                                 {"number": number, "due": f["due"]}),
        "weight_discrepancy": lambda: (
            _("Manifest %(number)s: declared %(declared)s, weighed %(weighed)s (%(pct)s%%)."),
            {"number": number, "declared": t(f["declared_kg"]), "weighed": t(f["weighed_kg"]),
             "pct": f["pct"]}),
        "stock_held": lambda: (
            _("%(qty)s of %(code)s held since %(since)s: %(days)s days (limit %(limit)s)."),
            {"qty": t(f["kg"]), "code": f["code"], "since": f["since"], "days": f["days"],
             "limit": f["limit"]}),
        "over_capacity": lambda: (
            _("Received %(got)s in %(year)s; licensed for %(cap)s a year."),
            {"got": t(f["received_kg"]), "year": f["year"], "cap": t(f["capacity_kg"])}),
        "expired_licence": lambda: (
            _("Manifest %(number)s received on %(day)s without a valid licence."),
            {"number": number, "day": f["day"]}),
        "missing_filing": lambda: (
            _("%(code)s for %(period)s was due by %(due)s."),
            {"code": f["code"], "period": f["period"], "due": f["due"]}),
        "under_declared": lambda: (
            _("%(code)s in %(year)s: declared %(declared)s, shipped %(shipped)s."),
            {"code": f["code"], "year": f["year"], "declared": t(f["declared_kg"]),
             "shipped": t(f["shipped_kg"])}),
        "generation_spike": lambda: (
            _("%(code)s for %(period)s: %(qty)s, against %(avg)s on average."),
            {"code": f["code"], "period": f["period"], "qty": t(f["kg"]),
             "avg": t(f["average_kg"])}),
        "lot_no_bid": lambda: (
            _("“%(title)s” has been open %(days)s days without a bid."),
            {"title": f["title"], "days": f["days"]}),
    }  # fmt: skip


def manifest_number(facts: dict) -> str:
    """The manifest's number (联单编号) as recorded when the warning was raised; for a
    warning raised before numbers were recorded, read from the manifest."""
    if "manifest_id" not in facts:
        return ""
    if facts.get("manifest_number"):
        return facts["manifest_number"]
    from market.extensions import db
    from market.manifests.models import Manifest

    manifest = db.session.get(Manifest, facts["manifest_id"])
    return manifest.number if manifest is not None else f"#{facts['manifest_id']}"


def cause_text(row) -> str:
    """The cause in one plain sentence, from the facts the rule recorded (for the API)."""
    f = json.loads(row.facts or "{}")
    try:
        template, values = _cause_texts(f, manifest_number(f))[row.rule]()
    except KeyError:
        return ""
    return template % values


def warning_cause(row) -> Markup:
    """The cause in one sentence for a page, the manifest's number a link to it."""
    f = json.loads(row.facts or "{}")
    number = manifest_number(f)
    if number and not number.startswith("#"):  # "#id": the manifest is gone, no page
        href = f"/manifests/{int(f['manifest_id'])}"
        number = Markup('<a href="{}">{}</a>').format(href, number)
    try:
        template, values = _cause_texts(f, number)[row.rule]()
    except KeyError:
        return Markup("")
    return escape(template) % values


def warning_link(row) -> str:
    """Where the cause can be seen, if it has a page."""
    f = json.loads(row.facts or "{}")
    if "manifest_id" in f:
        return f"/manifests/{f['manifest_id']}"
    if "listing_id" in f:
        return f"/listings/supply/{f['listing_id']}"
    return ""


def register(app) -> None:
    for fn in (warning_category, warning_level, warning_status, warning_rule, warning_event,
               warning_level_class, warning_cause, warning_link):  # fmt: skip
        app.add_template_filter(fn)
