"""A park's grading settings and offline checklist: read with defaults, edited by its
administrators, and turned into the pure scoring module's Settings."""

import json
from dataclasses import dataclass
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from market.accounts.models import User
from market.credit import scoring
from market.credit.common import require_admin_of
from market.credit.models import ChecklistItem, CreditSettings
from market.errors import DomainError
from market.extensions import db

# The seeded items' labels; afterwards they are the park's data, edited on its page.
DEFAULT_LABELS = {
    "generator.management_system": ("固体废物管理制度", "Waste management system"),
    "generator.reduction": ("减量化措施", "Waste reduction measures"),
    "generator.storage_site": ("存贮场所管理", "Storage site management"),
    "generator.transfer_disposal": ("转移与处置管理", "Transfer and disposal management"),
    "recycler.waste_management": ("固体废物管理情况", "Solid waste management"),
    "recycler.transport": ("运输情况", "Transport"),
    "recycler.storage_site": ("贮存场所管理", "Storage site management"),
    "transporter.vehicles": ("车辆", "Vehicles"),
    "transporter.qualifications": ("资质", "Qualifications"),
    "transporter.on_time_pickup": ("按时收运", "On-time pickup"),
}
SETTING_FIELDS = (
    "completeness", "truthfulness", "offline", "late_credit_pct", "negative_stock_tenths",
    "weight_discrepancy_tenths", "late_receipt_tenths", "correction_tenths",
    "warning_low_tenths", "warning_medium_tenths", "warning_high_tenths", "warning_overdue_tenths",
    "threshold_a_tenths", "threshold_b_tenths", "threshold_c_tenths", "validity_years",
    "appeal_days", "reminder_days", "window_months",
)  # fmt: skip


def settings_row(park_id: int) -> CreditSettings:
    """The park's settings, created with the defaults the first time they are needed."""
    row = db.session.execute(
        db.select(CreditSettings).filter_by(park_id=park_id)
    ).scalar_one_or_none()
    if row is None:
        row = CreditSettings(park_id=park_id)
        for name in SETTING_FIELDS:
            setattr(row, name, CreditSettings.__table__.c[name].default.arg)
        if not _added([row]):  # another request made them first
            return settings_row(park_id)
    return row


def _added(rows: list) -> bool:
    """Insert rows made on first use; False when a concurrent request inserted them first
    (the park's unique key), leaving the session as it was."""
    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
            db.session.flush()
    except IntegrityError:
        return False
    return True


def to_dict(row: CreditSettings) -> dict:
    return {name: getattr(row, name) for name in SETTING_FIELDS}


# Settings added after evaluations were first stored: their defaults for older snapshots.
LATER_DEFAULTS = {
    "warning_low_tenths": 5,
    "warning_medium_tenths": 10,
    "warning_high_tenths": 20,
    "warning_overdue_tenths": 10,
}


def to_scoring(values: dict, checklist: tuple[scoring.Item, ...]) -> scoring.Settings:
    """The pure module's settings from stored values (to_dict) and a checklist."""
    R = scoring.Reason
    values = {**LATER_DEFAULTS, **values}
    return scoring.Settings(
        completeness=values["completeness"],
        truthfulness=values["truthfulness"],
        offline=values["offline"],
        late_credit=Fraction(values["late_credit_pct"], 100),
        deductions={
            R.NEGATIVE_STOCK: Fraction(values["negative_stock_tenths"], 10),
            R.WEIGHT_DISCREPANCY: Fraction(values["weight_discrepancy_tenths"], 10),
            R.LATE_RECEIPT: Fraction(values["late_receipt_tenths"], 10),
            R.CORRECTION: Fraction(values["correction_tenths"], 10),
            R.WARNING_LOW: Fraction(values["warning_low_tenths"], 10),
            R.WARNING_MEDIUM: Fraction(values["warning_medium_tenths"], 10),
            R.WARNING_HIGH: Fraction(values["warning_high_tenths"], 10),
            R.WARNING_OVERDUE: Fraction(values["warning_overdue_tenths"], 10),
        },
        thresholds=tuple(Fraction(values[f"threshold_{g}_tenths"], 10) for g in "abc"),
        checklist=checklist,
    )


def update_settings(user: User, park_id: int, values: dict) -> CreditSettings:
    """Change some of the park's settings; all are checked together before any is kept.

    :raises Forbidden: not this park's administrator.
    :raises DomainError: an unknown field, a value that is not a whole number, or values
        the pure module refuses (parts not adding up to 100, thresholds not falling …).
    """
    require_admin_of(user, park_id)
    row = settings_row(park_id)
    merged = to_dict(row)
    for name, value in values.items():
        if name not in SETTING_FIELDS:
            raise DomainError(_("Unknown setting."), field=name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise DomainError(_("Enter a whole number."), field=name)
        merged[name] = value
    _check(merged)
    for name, value in merged.items():
        setattr(row, name, value)
    row.updated_by_id = user.id
    db.session.flush()
    return row


def _check(values: dict) -> None:
    if (
        values["completeness"] + values["truthfulness"] + values["offline"] != 100
        or min(values["completeness"], values["truthfulness"], values["offline"]) < 0
    ):
        raise DomainError(_("The three parts must add up to 100."), field="offline")
    a, b, c = (values[f"threshold_{g}_tenths"] for g in "abc")
    if not 1000 >= a > b > c > 0:
        raise DomainError(_("The thresholds must fall: 100 ≥ A > B > C > 0."), field="threshold_a")
    try:
        to_scoring(values, scoring.DEFAULT_CHECKLIST)
    except ValueError:
        raise DomainError(_("These settings do not fit together.")) from None
    limits = {"validity_years": (1, 5), "appeal_days": (1, 90), "reminder_days": (1, 365),
              "window_months": (1, 36), "late_credit_pct": (0, 100)}  # fmt: skip
    for name, (low, high) in limits.items():
        if not low <= values[name] <= high:
            raise DomainError(
                _("Enter a number from %(low)s to %(high)s.", low=low, high=high), field=name
            )


def checklist_rows(park_id: int, active_only: bool = True) -> list[ChecklistItem]:
    """The park's checklist, seeded from scoring.DEFAULT_CHECKLIST the first time."""
    query = db.select(ChecklistItem).filter_by(park_id=park_id)
    rows = list(db.session.execute(query.order_by(ChecklistItem.position)).scalars())
    if not rows:
        rows = seed_checklist(park_id) or checklist_rows(park_id, active_only=False)
    return [r for r in rows if r.active or not active_only]


def seed_checklist(park_id: int) -> list[ChecklistItem]:
    rows = []
    for position, item in enumerate(scoring.DEFAULT_CHECKLIST):
        zh, en = DEFAULT_LABELS[item.key]
        rows.append(
            ChecklistItem(park_id=park_id, key=item.key, role=item.role.value, label_zh=zh,
                          label_en=en, max_points=item.max_points, position=position)
        )  # fmt: skip
    return rows if _added(rows) else []


@dataclass
class ItemInput:
    key: str
    role: str
    label_zh: str
    label_en: str
    max_points: int
    guidance: str = ""
    position: int = 0
    active: bool = True


def save_checklist_item(user: User, park_id: int, data: ItemInput) -> ChecklistItem:
    """Add an item or change the one with this key (its role never changes). Open
    evaluations keep the items they copied; the change applies to evaluations opened later.

    :raises Forbidden: not this park's administrator.
    :raises DomainError: a bad key, role, label or maximum.
    """
    require_admin_of(user, park_id)
    _check_item(data)
    checklist_rows(park_id, active_only=False)  # seed first, so an edit never loses them
    row = db.session.execute(
        db.select(ChecklistItem).filter_by(park_id=park_id, key=data.key)
    ).scalar_one_or_none()
    if row is None:
        row = ChecklistItem(park_id=park_id, key=data.key, role=data.role)
        db.session.add(row)
    elif row.role != data.role:
        raise DomainError(_("An item's role cannot change; add a new item."), field="role")
    for name in ("label_zh", "label_en", "max_points", "guidance", "position", "active"):
        setattr(row, name, getattr(data, name))
    db.session.flush()
    return row


def _check_item(data: ItemInput) -> None:
    key = (data.key or "").strip()
    if not key or len(key) > 40 or not all(c.isalnum() or c in "._-" for c in key):
        raise DomainError(_("Use letters, digits, dots, dashes or underscores."), field="key")
    if data.role not in {r.value for r in scoring.GradedRole}:
        raise DomainError(_("Choose a role."), field="role")
    for name in ("label_zh", "label_en"):
        text = (getattr(data, name) or "").strip()
        if not text or len(text) > 80:
            raise DomainError(_("Enter a label of at most 80 characters."), field=name)
        setattr(data, name, text)
    if not isinstance(data.max_points, int) or not 1 <= data.max_points <= 100:
        raise DomainError(_("Enter a number from %(low)s to %(high)s.", low=1, high=100),
                          field="max_points")  # fmt: skip
    if len(data.guidance or "") > 2000:
        raise DomainError(_("At most %(n)s characters.", n=2000), field="guidance")


def snapshot(park_id: int) -> str:
    return json.dumps(to_dict(settings_row(park_id)))
