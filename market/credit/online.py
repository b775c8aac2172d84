"""The online part of an evaluation: what the pure scoring module is judged on, gathered
from the enterprise's filings, ledgers, manifests and confirmed violations, each figure
keeping the ids of the rows behind it.

Completeness: every filing the enterprise's tiers made due in the window (generators).
Truthfulness: ledger periods that moved more waste out than was held (shipped > generated
+ opening stock, for generators; utilised + disposed > received + stock, for recyclers);
manifests it generated whose weighed weight differed from the declared one beyond the
park's tolerance; manifests it received and signed after the receipt limit (or not yet,
past it); filings it corrected in the window; the warnings (预警) raised against it in the
window, by the level they were raised at, and each answer day it let pass (escalated, or
still overdue at the window's end). Transporters file nothing and sign no
receipts, so their online part is full unless a park sets otherwise: their own record
(vehicles, qualifications, on-time pickup) is the offline checklist.

The ledger is read at the filing kind in force at the window's end, over the part of the
window that kind covers. Filings of another kind are not in that ledger, so when the
enterprise has any, negative stock is not judged (it would be a false finding) and the
figures say so.
"""

from datetime import date, datetime, time, timedelta

from market import clock
from market.accounts.models import Enterprise
from market.credit import scoring
from market.credit.models import Violation
from market.extensions import db
from market.manifests import filings as filing_services
from market.manifests import ledgers
from market.manifests.models import Filing, FilingAmendment, Manifest
from market.warnings.models import EarlyWarning, WarningEventRow
from market.warnings.states import OPEN as WARNING_OPEN
from market.warnings.states import WAITS_ON_ENTERPRISE

GR = scoring.GradedRole


def roles_of(enterprise: Enterprise) -> frozenset[scoring.GradedRole]:
    return frozenset(GR(role.value) for role in enterprise.roles)


def gather(enterprise: Enterprise, window: tuple[date, date]) -> tuple[scoring.Evidence, dict]:
    """The Evidence for the pure module and notes for the page (what was and was not judged)."""
    roles, notes = roles_of(enterprise), {}
    owed, stock = (), {}
    if GR.GENERATOR in roles:
        owed = _owed(enterprise, window)
    if roles & {GR.GENERATOR, GR.RECYCLER}:
        stock, notes["negative_stock_checked"] = _ledgers(enterprise, window, roles)
    evidence = scoring.Evidence(
        roles=roles,
        owed=owed,
        ledgers=stock,
        manifests=_manifest_facts(enterprise, window),
        corrected_filing_ids=_corrected(enterprise, window),
        violation_ids=violations_in(enterprise.id, window),
        warnings=warning_facts(enterprise.id, window),
    )
    return evidence, notes


def _owed(enterprise: Enterprise, window: tuple[date, date]) -> tuple[scoring.Owed, ...]:
    codes = filing_services.codes_by_enterprise([enterprise.id])[enterprise.id]
    names = {code_id: code.code for code_id, code in codes.items()}
    filed = {
        (names[f.waste_code_id], f.period_key): (f.id, f.filed_on)
        for f in db.session.execute(
            db.select(Filing).filter_by(enterprise_id=enterprise.id)
        ).scalars()
        if f.waste_code_id in names
    }
    return scoring.owed_filings(
        names.values(),
        filing_services.tiers_of(enterprise),
        window,
        filed,
        clock.today(),
        filing_services.due_rules(enterprise.park_id),
    )


def _ledgers(enterprise, window, roles) -> tuple[dict, bool]:
    tiers = filing_services.tiers_of(enterprise)
    tier = filing_services.tier_on(tiers, window[1]) or tiers[0]
    start = max(window[0], tier.since)
    if start > window[1]:
        return {}, True
    kind_name = filing_services.TIER_OF[tier.kind]
    other_kinds = db.session.scalar(
        db.select(db.func.count(Filing.id)).where(
            Filing.enterprise_id == enterprise.id, Filing.period_kind != kind_name
        )
    )
    book = ledgers.ledger_for(enterprise, tier.kind, start, window[1])
    both = GR.GENERATOR in roles and GR.RECYCLER in roles
    found = {}
    if not other_kinds:
        for code_id, rows in book.generator.items():
            found[_key(book.codes[code_id].code, "generator", both)] = rows
    for code_id, rows in book.recycler.items():
        found[_key(book.codes[code_id].code, "recycler", both)] = rows
    return found, not other_kinds


def _key(code: str, side: str, both: bool) -> str:
    return f"{code} ({side})" if both else code


def _manifest_facts(enterprise, window) -> tuple[scoring.ManifestFacts, ...]:
    """Discrepancies count against the generator who declared; late receipts against the
    receiver who signed late (or has not signed, past the limit)."""
    start, end = window
    since = datetime.combine(start, time.min, clock.BEIJING) - timedelta(days=1)
    until = datetime.combine(end, time.max, clock.BEIJING) + timedelta(days=1)
    rows = db.session.execute(
        db.select(Manifest)
        .where(
            db.or_(Manifest.generator_id == enterprise.id, Manifest.receiver_id == enterprise.id),
            Manifest.status.not_in(("draft", "cancelled")),
            db.func.coalesce(Manifest.picked_up_at, Manifest.created_at).between(since, until),
        )
        .order_by(Manifest.id)
    ).scalars()
    facts = []
    for m in rows:
        discrepancy = m.generator_id == enterprise.id and m.discrepant
        late = m.receiver_id == enterprise.id and _receipt_late(m, end)
        day = clock.business_day(m.picked_up_at or m.created_at)
        if start <= day <= end and (discrepancy or late):
            facts.append(scoring.ManifestFacts(m.id, bool(discrepancy), bool(late)))
    return tuple(facts)


def _receipt_late(manifest: Manifest, end: date) -> bool:
    if manifest.receipt_due_on is None:
        return False
    if manifest.received_at is None:
        return manifest.status == "in_transit" and manifest.receipt_due_on < end
    return clock.business_day(manifest.received_at) > manifest.receipt_due_on


def _corrected(enterprise, window) -> tuple[int, ...]:
    return tuple(
        db.session.execute(
            db.select(FilingAmendment.filing_id)
            .join(Filing, Filing.id == FilingAmendment.filing_id)
            .where(
                Filing.enterprise_id == enterprise.id,
                FilingAmendment.on.between(*window),
            )
            .distinct()
            .order_by(FilingAmendment.filing_id)
        ).scalars()
    )


def warning_facts(enterprise_id: int, window: tuple[date, date]):
    """The enterprise's warnings raised in the window: the level each was raised at (its
    raise step records it; a later escalation does not make the cause graver) and how many
    answer days it let pass — escalations within the window, and one more if its answer is
    overdue at the window's end and the run has not escalated it yet."""
    start, end = window
    rows = list(
        db.session.execute(
            db.select(EarlyWarning)
            .where(EarlyWarning.enterprise_id == enterprise_id,
                   EarlyWarning.raised_on.between(start, end))
            .order_by(EarlyWarning.id)
        ).scalars()
    )  # fmt: skip
    if not rows:
        return ()
    raised_at, escalations = {}, {}
    for warning_id, event, level, at in db.session.execute(
        db.select(WarningEventRow.warning_id, WarningEventRow.event, WarningEventRow.level,
                  WarningEventRow.at)
        .where(WarningEventRow.warning_id.in_([w.id for w in rows]),
               WarningEventRow.event.in_(("raise", "escalate")))
        .order_by(WarningEventRow.id)
    ):  # fmt: skip
        if event == "raise":
            raised_at.setdefault(warning_id, level)
        elif start <= clock.business_day(at) <= end:
            escalations[warning_id] = escalations.get(warning_id, 0) + 1
    facts = []
    for w in rows:
        late_now = w.status in WAITS_ON_ENTERPRISE and w.due_on is not None and w.due_on < end
        overdue = escalations.get(w.id, 0) + (1 if late_now else 0)
        facts.append(scoring.WarningFacts(w.id, w.rule, raised_at.get(w.id) or w.level, overdue))
    return tuple(facts)


def _warning_figures(facts) -> dict:
    """For the page: counts by level raised, what is still open and what let a day pass."""
    if not facts:
        return {"total": 0, "by_level": {}, "open": [], "overdue": [], "rows": []}
    status = dict(
        db.session.execute(
            db.select(EarlyWarning.id, EarlyWarning.status).where(
                EarlyWarning.id.in_([f.warning_id for f in facts])
            )
        ).all()
    )
    by_level: dict[str, int] = {}
    for f in facts:
        by_level[f.level] = by_level.get(f.level, 0) + 1
    return {
        "total": len(facts),
        "by_level": by_level,
        "open": [f.warning_id for f in facts if status.get(f.warning_id) in WARNING_OPEN],
        "overdue": [f.warning_id for f in facts if f.overdue],
        "rows": [
            {"id": f.warning_id, "rule": f.rule, "level": f.level, "overdue": f.overdue,
             "status": status.get(f.warning_id, ""),
             "scored": f.rule not in scoring.NOT_SCORED_WHEN_RAISED}
            for f in facts
        ],
    }  # fmt: skip


def violations_in(enterprise_id: int, window: tuple[date, date]) -> tuple[int, ...]:
    """Confirmed serious violations that happened in the window or later: each forces D."""
    return tuple(
        db.session.execute(
            db.select(Violation.id)
            .where(
                Violation.enterprise_id == enterprise_id,
                Violation.status == "confirmed",
                Violation.occurred_on >= window[0],
            )
            .order_by(Violation.id)
        ).scalars()
    )


def figures(evidence: scoring.Evidence) -> dict:
    """The counts the page shows above the deductions, with the filings behind each."""
    by_state: dict[str, list] = {}
    for owed in evidence.owed:
        by_state.setdefault(owed.state.value, []).append(
            {"code": owed.code, "period": owed.period_key, "filing_id": owed.filing_id}
        )
    return {
        "owed": by_state,
        "manifests": [
            {"id": f.manifest_id, "discrepancy": f.weight_discrepancy, "late": f.receipt_late}
            for f in evidence.manifests
        ],
        "corrected_filing_ids": list(evidence.corrected_filing_ids),
        "violation_ids": list(evidence.violation_ids),
        "warnings": _warning_figures(evidence.warnings),
    }
