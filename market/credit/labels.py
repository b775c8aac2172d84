"""Words for the credit pages: statuses, events, deduction reasons, parts and grades."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from market.credit import scoring


def status_labels() -> dict[str, str]:
    return {
        "draft": _("draft"),
        "submitted": _("awaiting approval"),
        "returned": _("returned"),
        "approved": _("approved"),
        "published": _("published"),
        "appealed": _("under appeal"),
        "upheld": _("upheld on appeal"),
        "changed": _("changed on appeal"),
        "expired": _("expired"),
        "superseded": _("superseded"),
        "cancelled": _("cancelled"),
    }


def credit_status(status: str) -> str:
    return status_labels().get(status, status)


def credit_event(event: str) -> str:
    return {
        "open": _("opened"),
        "mark": _("item scored"),
        "refresh": _("online part recomputed"),
        "attach": _("evidence added"),
        "submit": _("submitted"),
        "return": _("returned"),
        "approve": _("approved"),
        "publish": _("published"),
        "cancel": _("cancelled"),
        "appeal": _("appealed"),
        "uphold": _("upheld on appeal"),
        "change": _("changed on appeal"),
        "force_d": _("forced to D by a serious violation"),
        "remind": _("reminder sent"),
        "expire": _("expired"),
        "supersede": _("superseded"),
        "migrate": _("carried over"),
    }.get(event, event)


def credit_reason(reason: str) -> str:
    R = scoring.Reason
    return {
        R.LATE_FILING: _("filing late"),
        R.MISSING_FILING: _("filing missing"),
        R.NEGATIVE_STOCK: _("shipped more than generated + stock"),
        R.WEIGHT_DISCREPANCY: _("weight discrepancy"),
        R.LATE_RECEIPT: _("receipt signed late"),
        R.CORRECTION: _("filing corrected"),
        R.OFFLINE_ITEM: _("checklist item below its maximum"),
        R.WARNING_LOW: _("low warning raised"),
        R.WARNING_MEDIUM: _("medium warning raised"),
        R.WARNING_HIGH: _("high warning raised"),
        R.WARNING_OVERDUE: _("warning answer overdue (escalated)"),
    }.get(reason, reason)


def credit_part(name: str) -> str:
    return {
        "completeness": _("Completeness (完整度)"),
        "truthfulness": _("Truthfulness (真实度)"),
        "offline": _("Offline checklist"),
    }.get(name, name)


GRADE_MEANINGS = {
    "A": _l("A · trustworthy"),
    "B": _l("B · good"),
    "C": _l("C · warning"),
    "D": _l("D · poor"),
}


def grade_meaning(grade: str | None) -> str:
    """One lookup per call (the hall shows a badge per row)."""
    return str(GRADE_MEANINGS.get(grade or "") or _("ungraded"))


def file_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def item_labels(evaluation, english: bool) -> dict[str, str]:
    """Checklist item keys to their labels, for the offline deductions' subjects."""
    return {m.item_key: m.label_en if english else m.label_zh for m in evaluation.marks}


def register(app) -> None:
    for fn in (credit_status, credit_event, credit_reason, credit_part, grade_meaning, file_size):
        app.add_template_filter(fn)
    app.add_template_global(item_labels)
