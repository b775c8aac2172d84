"""The menu's badges: unread messages, warnings waiting, manifests to sign, pickups. One
statement per page for all of them (each was a query of its own on every page), kept on
the request for the rest of it (not on `g`: a test's app context outlives its requests)."""

from flask import request
from flask_login import current_user

from market.extensions import db
from market.inbox.services import unread_select
from market.manifests.queries import menu_select
from market.warnings.queries import waiting_select

NONE = {"unread": 0, "warnings": 0, "awaiting": 0, "pickups": 0, "carrying": 0}


def counts() -> dict[str, int]:
    """The signed-in user's badges (all 0 for a visitor)."""
    found = getattr(request, "menu_counts", None)
    if found is None:
        found = request.menu_counts = _read(current_user)
    return found


def _read(user) -> dict[str, int]:
    if not getattr(user, "is_authenticated", False):
        return dict(NONE)
    columns = []
    for name, stmt in (("unread", unread_select(user)), ("warnings", waiting_select(user))):
        if stmt is not None:
            columns.append(stmt.scalar_subquery().label(name))
    manifests = menu_select(user)
    stmt = db.select(*columns)
    if manifests is not None:
        row = manifests.subquery()
        stmt = db.select(*columns, row.c.awaiting, row.c.pickups, row.c.carrying).select_from(row)
    if not stmt.selected_columns:
        return dict(NONE)
    return {**NONE, **db.session.execute(stmt).one()._asdict()}
