"""JSON endpoints for credit grades: the public register (no token), and one's own
grade and evaluations (an enterprise member's token)."""

from dataclasses import asdict

from flask import g
from flask_babel import gettext as _
from marshmallow import fields as f

from market.api.base import token_required
from market.api.fields import Str, at_most, one_of
from market.api.schemas import Schema
from market.api.views import bp
from market.credit import queries, scoring
from market.credit.register_views import park_by_slug
from market.errors import Forbidden

DAY = {"format": "date"}


class RegisterArgs(Schema):
    park = Str(validate=at_most(40), metadata={"description": "park slug; default the first"})
    grade = Str(validate=one_of("", "A", "B", "C", "D"))
    role = Str(validate=one_of("", "generator", "recycler", "transporter"))
    q = Str(validate=at_most(80), metadata={"description": "part of the name or USCC"})


class RegisterEntry(Schema):
    enterprise_id = f.Integer(required=True)
    name = f.String(required=True)
    uscc = f.String(required=True)
    roles = f.List(f.String(), required=True)
    grade = f.String(required=True, metadata={"enum": ["A", "B", "C", "D"]})
    colour = f.String(required=True, metadata={"enum": ["green", "blue", "yellow", "red"]})
    published_on = f.Date(required=True)
    valid_until = f.Date(required=True)


class RegisterReply(Schema):
    park = f.String(required=True)
    park_name = f.String(required=True)
    entries = f.List(f.Nested(RegisterEntry), required=True)


class GradeReply(Schema):
    enterprise_id = f.Integer(required=True)
    grade = f.String(required=True, allow_none=True)
    colour = f.String(required=True, allow_none=True)
    valid_until = f.Date(required=True, allow_none=True)
    evaluation_id = f.Integer(required=True, allow_none=True)
    total = f.String(required=True, allow_none=True, metadata={"example": "87.5"})


@bp.route("/credit/register", methods=["GET"])
@bp.doc(security=[], summary="A park's published credit register (no scores, no evidence)")
@bp.arguments(RegisterArgs, location="query")
@bp.response(200, RegisterReply)
@bp.fails(400, 404)
def credit_register(args):
    park = park_by_slug(args.get("park") or None)
    rows = queries.register_rows(
        park.id, role=args.get("role") or None, grade=args.get("grade") or None,
        search=args.get("q") or "",
    )  # fmt: skip
    return {"park": park.slug, "park_name": park.name, "entries": [asdict(r) for r in rows]}


@bp.route("/credit/mine", methods=["GET"])
@bp.doc(summary="The token's enterprise's credit grade in force (null when ungraded)")
@bp.response(200, GradeReply)
@bp.fails(401, 403)
@token_required
def credit_mine():
    enterprise = g.api_user.enterprise
    if enterprise is None:
        raise Forbidden(_("Only an enterprise has a credit grade."))
    current = queries.in_force(enterprise.id)
    shown = queries.breakdown(current) if current else {}
    return {
        "enterprise_id": enterprise.id,
        "grade": current.grade if current else None,
        "colour": scoring.COLOURS[scoring.Grade(current.grade)] if current else None,
        "valid_until": current.valid_until if current else None,
        "evaluation_id": current.id if current else None,
        "total": shown.get("total"),
    }
