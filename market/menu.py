"""The menu's badges: unread messages, warnings waiting, manifests to sign, pickups. One
statement per page for all of them (each was a query of its own on every page), kept on
the request for the rest of it (not on `g`: a test's app context outlives its requests).

The statement is built once per kind of user (an enterprise's member, a park's
administrator, or both) with bound parameters in place of the user's ids, and reused:
building it anew for every page cost more Python than running it."""

from functools import lru_cache

from flask import request
from flask_login import current_user
from sqlalchemy import bindparam

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


class _Placeholder:
    """Stands in for a user in the three select builders: bound parameters where the
    user's ids go."""

    def __init__(self, enterprise: bool, admin: bool):
        self.id = bindparam("user_id")
        self.enterprise_id = bindparam("enterprise_id") if enterprise else None
        self.admin_park_id = bindparam("park_id") if admin else None
        self.is_park_admin = admin


@lru_cache(maxsize=4)
def _statement(enterprise: bool, admin: bool):
    user = _Placeholder(enterprise, admin)
    columns = []
    for name, stmt in (("unread", unread_select(user)), ("warnings", waiting_select(user))):
        if stmt is not None:
            columns.append(stmt.scalar_subquery().label(name))
    manifests = menu_select(user)
    if manifests is None:
        return db.select(*columns)
    row = manifests.subquery()
    return db.select(*columns, row.c.awaiting, row.c.pickups, row.c.carrying).select_from(row)


def _read(user) -> dict[str, int]:
    if not getattr(user, "is_authenticated", False):
        return dict(NONE)
    enterprise, admin = user.enterprise_id is not None, user.admin_park_id is not None
    if not (enterprise or admin):
        return dict(NONE)
    params = {"user_id": user.id}
    if enterprise:
        params["enterprise_id"] = user.enterprise_id
    if admin:
        params["park_id"] = user.admin_park_id
    row = db.session.execute(_statement(enterprise, admin), params).one()
    return {**NONE, **row._asdict()}
