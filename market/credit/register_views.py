"""The public credit register: a park's grades in force, for anyone, as a page, CSV or
XLSX (name, USCC, roles, grade, valid until; never scores or evidence)."""

import csv
import io

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from market.accounts.models import Park
from market.credit import forms, queries
from market.credit.labels import grade_meaning
from market.errors import DomainError, NotFound
from market.extensions import db
from market.formatting import role_label

bp = Blueprint("credit_register", __name__, url_prefix="/credit/register")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLOUR_FILLS = {"green": "C6EFCE", "blue": "BDD7EE", "yellow": "FFEB9C", "red": "FFC7CE"}


def parks() -> list[Park]:
    return list(db.session.execute(db.select(Park).order_by(Park.id)).scalars())


def park_by_slug(slug: str | None) -> Park:
    """The named park, or the first one when none is named. :raises NotFound:"""
    every = parks()
    if not every:
        raise NotFound(_("No park yet."))
    if not slug:
        return every[0]
    for park in every:
        if park.slug == slug:
            return park
    raise NotFound(_("No such park."))


def _filtered():
    """The filter form, the park and its rows; rows is None when the filters are wrong
    (the form then carries the messages)."""
    every = parks()
    if not every:
        raise NotFound(_("No park yet."))
    form = forms.RegisterFilterForm(request.args, parks=every)
    if not form.park.data:
        form.park.data = every[0].slug
    if not form.validate():
        return form, every[0], None
    park = next(p for p in every if p.slug == form.park.data)
    rows = queries.register_rows(
        park.id, role=form.role.data or None, grade=form.grade.data or None,
        search=form.q.data or "",
    )  # fmt: skip
    return form, park, rows


@bp.get("/")
def page():
    form, park, rows = _filtered()
    status = 400 if rows is None else 200
    filters = {k: request.args[k] for k in ("park", "grade", "role", "q") if request.args.get(k)}
    return render_template(
        "credit/register.html", form=form, park=park, rows=rows, filters=filters
    ), status


def headers() -> list[str]:
    return [_("Enterprise"), _("USCC"), _("Roles"), _("Grade"), _("Published on"),
            _("Valid until")]  # fmt: skip


def cells(row) -> list:
    roles = "、".join(role_label(r) for r in row.roles)
    return [row.name, row.uscc, roles, grade_meaning(row.grade), row.published_on,
            row.valid_until]  # fmt: skip


@bp.get("/export.<any(csv, xlsx):fmt>")
def export(fmt: str):
    form, park, rows = _filtered()
    if rows is None:
        field, messages = next(iter(form.errors.items()))
        raise DomainError(str(messages[0]), field=field)
    if fmt == "csv":
        body, mimetype = to_csv(rows), "text/csv; charset=utf-8"
    else:
        body, mimetype = to_xlsx(rows, park), XLSX
    name = f"credit-register-{park.slug}.{fmt}"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"}
    )


def to_csv(rows) -> bytes:
    """UTF-8 with a byte-order mark so Excel reads the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers())
    for row in rows:
        writer.writerow([v.isoformat() if hasattr(v, "isoformat") else v for v in cells(row)])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(rows, park: Park) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Credit register")[:31]
    sheet.append(headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(cells(row))
        grade_cell = sheet.cell(sheet.max_row, 4)
        grade_cell.fill = PatternFill("solid", fgColor=COLOUR_FILLS[row.colour])
        for column in (5, 6):
            sheet.cell(sheet.max_row, column).number_format = "yyyy-mm-dd"
    for letter, width in zip("ABCDEF", (40, 22, 30, 16, 14, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
