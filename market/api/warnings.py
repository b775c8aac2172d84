"""JSON endpoints for warnings (预警): an enterprise lists, reads and answers its own; a park
administrator lists and reads the park's, forwards, accepts or returns a rectification and
records an outcome. The same services as the pages, so the same lifecycle moves and checks."""

import marshmallow as ma
from flask import g
from flask_babel import gettext as _
from marshmallow import fields as f

from market.api.base import ID
from market.api.fields import Bool, QueryInt, Str, at_most, between, one_of
from market.api.manifest_replies import PartyReply
from market.api.replies import DAY, TIME, maybe, page_of, text
from market.api.schemas import Schema
from market.api.views import _add, named
from market.errors import Forbidden
from market.extensions import db
from market.warnings import labels, queries, services
from market.warnings.rules import Category, Level, RuleKey
from market.warnings.states import WAITS_ON_ADMIN, WAITS_ON_ENTERPRISE, WarningStatus

ONE = f"/warnings/<{ID}:warning_id>"
PER_PAGE = 50
STATUSES = tuple(s.value for s in WarningStatus)


# ---- what the operations accept ----------------------------------------------------------


class WarningArgs(Schema):
    status = Str(
        validate=one_of("open", *STATUSES),
        metadata={"description": "a status, or `open` for every open one"},
    )
    level = Str(validate=one_of(*(v.value for v in Level)))
    category = Str(validate=one_of(*(v.value for v in Category)))
    waiting = Bool(metadata={"description": "only what waits on the caller"})
    page = QueryInt(validate=between(1, 100_000))


class WarningAnswerIn(Schema):
    text = Str(
        required=True,
        validate=at_most(services.MAX_TEXT),
        metadata={"description": "the answer (low) or the rectification (forwarded)"},
    )


class WarningNoteIn(Schema):
    BODY_OPTIONAL = True

    note = Str(validate=at_most(services.MAX_TEXT))


class WarningReasonIn(Schema):
    reason = Str(required=True, validate=at_most(services.MAX_TEXT))


class WarningOutcomeIn(Schema):
    outcome = Str(required=True, validate=at_most(services.MAX_TEXT))


# ---- what they answer ---------------------------------------------------------------------


class WarningStepReply(ma.Schema):
    event = text()
    from_status = maybe(f.String)
    to_status = text()
    level = maybe(f.String)
    actor_id = maybe(f.Integer)
    at = text(**TIME)
    note = text()


class WarningFileReply(ma.Schema):
    id = f.Integer(required=True)
    name = text()
    mime = text()
    size_bytes = f.Integer(required=True)
    url = text(description="the file, for the enterprise and its park's administrators")


class WarningReply(ma.Schema):
    id = f.Integer(required=True)
    park_id = f.Integer(required=True)
    enterprise = f.Nested(PartyReply, required=True)
    rule = f.String(required=True, metadata={"enum": [r.value for r in RuleKey]})
    rule_label = text(description="in the caller's language")
    category = f.String(required=True, metadata={"enum": [c.value for c in Category]})
    level = f.String(required=True, metadata={"enum": [v.value for v in Level]})
    status = f.String(required=True, metadata={"enum": list(STATUSES)})
    waits_on = maybe(f.String, enum=["enterprise", "administrator"])
    cause = text(description="the cause in one sentence, in the caller's language")
    manifest_id = maybe(f.Integer)
    manifest_number = maybe(f.String, description="联单编号 of the manifest the cause is about")
    facts = f.Dict(required=True, metadata={"description": "what the rule recorded"})
    raised_on = text(**DAY)
    due_on = maybe(f.String, description="the enterprise's answer is due by this day", **DAY)
    closed_on = maybe(f.String, **DAY)
    auto_close = f.Boolean(required=True, metadata={"description": "closes when its cause does"})
    answer = text()
    outcome = text()


class WarningDetailReply(WarningReply):
    steps = f.List(f.Nested(WarningStepReply), required=True)
    files = f.List(f.Nested(WarningFileReply), required=True)


WarningPage = page_of(WarningReply, "WarningPage")


def _day(value):
    return None if value is None else value.isoformat()


def _waits_on(status: str) -> str | None:
    if status in WAITS_ON_ENTERPRISE:
        return "enterprise"
    if status in WAITS_ON_ADMIN:
        return "administrator"
    return None


def warning_json(w) -> dict:
    facts = queries.facts(w)
    return {
        "id": w.id,
        "park_id": w.park_id,
        "enterprise": {"id": w.enterprise.id, "name": w.enterprise.name},
        "rule": w.rule,
        "rule_label": labels.warning_rule(w.rule),
        "category": w.category,
        "level": w.level,
        "status": w.status,
        "waits_on": _waits_on(w.status),
        "cause": labels.cause_text(w),
        "manifest_id": facts.get("manifest_id"),
        "manifest_number": labels.manifest_number(facts) or None,
        "facts": facts,
        "raised_on": _day(w.raised_on),
        "due_on": _day(w.due_on),
        "closed_on": _day(w.closed_on),
        "auto_close": bool(w.auto_close),
        "answer": w.answer or "",
        "outcome": w.outcome or "",
    }


def detail_json(w) -> dict:
    steps = [
        {"event": e.event, "from_status": e.from_status, "to_status": e.to_status,
         "level": e.level, "actor_id": e.actor_id, "at": e.at.isoformat(), "note": e.note or ""}
        for e in w.events
    ]  # fmt: skip
    files = [
        {"id": x.id, "name": x.original_name, "mime": x.mime, "size_bytes": x.size_bytes,
         "url": f"/warnings/files/{x.id}"}
        for x in w.files
    ]  # fmt: skip
    return {**warning_json(w), "steps": steps, "files": files}


# ---- the operations -----------------------------------------------------------------------


def list_warnings(args):
    stmt = queries.visible_to(
        g.api_user, args.get("category", ""), args.get("level", ""), args.get("status", ""),
        bool(args.get("waiting")),
    )  # fmt: skip
    page = db.paginate(stmt, page=args.get("page", 1), per_page=PER_PAGE, error_out=False)
    items = [warning_json(w) for w in page.items]
    return {"page": page.page, "pages": page.pages, "total": page.total, "items": items}


def read_warning(warning_id: int):
    return detail_json(queries.warning_for(g.api_user, warning_id))


def _member():
    if g.api_user.is_park_admin or g.api_user.enterprise_id is None:
        raise Forbidden(_("Only the enterprise the warning is about answers it."))


def _admin():
    if not g.api_user.is_park_admin:
        raise Forbidden(_("Only this park's administrators may do this."))


def _done(row) -> dict:
    db.session.commit()
    db.session.expire_all()
    return detail_json(queries.warning_for(g.api_user, row.id))


def answer(body, warning_id: int):
    _member()
    return _done(services.respond(g.api_user, warning_id, body["text"]))


def forward(body, warning_id: int):
    _admin()
    return _done(services.forward(g.api_user, warning_id, body.get("note", "")))


def accept(body, warning_id: int):
    _admin()
    return _done(services.accept(g.api_user, warning_id, body.get("note", "")))


def return_(body, warning_id: int):
    _admin()
    return _done(services.return_(g.api_user, warning_id, body["reason"]))


def outcome(body, warning_id: int):
    _admin()
    return _done(services.record_outcome(g.api_user, warning_id, body["outcome"]))


STEP_FAILS = (400, 401, 403, 404, 409)
DETAIL = (200, WarningDetailReply)


def _register() -> None:
    _add(
        "/warnings",
        "GET",
        named(list_warnings, "warnings"),
        "Warnings: one's own enterprise's, or the park's for its administrator; newest "
        "first, 50 a page",
        (200, WarningPage),
        (400, 401),
        args=(WarningArgs, "query"),
    )
    summary = "One warning with its steps and rectification files"
    _add(ONE, "GET", named(read_warning, "warning"), summary, DETAIL, (401, 404))
    steps = (
        ("answer", answer, WarningAnswerIn,
         "The enterprise answers a low warning (closes it) or sends its rectification"),
        ("forward", forward, WarningNoteIn,
         "The administrator forwards a medium warning to the enterprise for rectification"),
        ("accept", accept, WarningNoteIn, "The administrator accepts the rectification; it closes"),
        ("return", return_, WarningReasonIn,
         "The administrator returns the rectification with a reason and a new day"),
        ("outcome", outcome, WarningOutcomeIn,
         "The administrator records the outcome of a warning with them; it closes"),
    )  # fmt: skip
    for path, view, schema, summary in steps:
        endpoint = named(view, f"warning_{path}")
        _add(f"{ONE}/{path}", "POST", endpoint, summary, DETAIL, STEP_FAILS, (schema, "json"))


_register()
