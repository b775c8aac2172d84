"""Who is asking: session login, API bearer tokens, and access decorators."""

import hashlib
import secrets
from datetime import timedelta
from functools import wraps

from flask import abort, g
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from market.accounts.models import ApiToken, Role, User
from market.db import utcnow
from market.extensions import db, login_manager

TOKEN_PREFIX = "wx_"


def hash_password(password: str) -> str:
    from flask import current_app

    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def password_matches(user: User | None, password: str) -> bool:
    if user is None:
        # Same work for unknown emails, so timing does not reveal which exist.
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(user.password_hash, password)


_DUMMY_HASH = generate_password_hash("not-a-password", method="pbkdf2:sha256:1000")


def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    # With its enterprise in the same statement: nearly every page reads it (the menu)
    user = db.session.get(User, int(user_id), options=[joinedload(User.enterprise)])
    # A deactivated colleague's open session ends with its next request.
    return user if user is not None and user.active else None


LAST_USED_STEP = timedelta(minutes=1)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token; the plain text is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user, name=name, prefix=plain[:10], token_hash=token_digest(plain))
    db.session.add(row)
    db.session.flush()
    return row, plain


def user_from_bearer(header: str) -> User | None:
    """The API authenticates by bearer token only, never by the session cookie,
    so a page on another site cannot make a logged-in browser write through it."""
    if not header.startswith("Bearer "):
        return None
    digest = token_digest(header.removeprefix("Bearer ").strip())
    row = db.session.execute(
        db.select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
    ).scalar_one_or_none()
    if row is None or not row.user.active:
        return None
    now = utcnow()
    # "Last used" to the minute: a client calling many times a minute writes it once a
    # minute, not on every call (one UPDATE per request was the API's costliest statement)
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_STEP:
        row.last_used_at = now
    g.api_token = row
    return row.user


def revoke_token(user: User, token_id: int) -> None:
    from flask_babel import gettext as _

    from market.errors import NotFound

    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("No such token."))
    row.revoked_at = row.revoked_at or utcnow()


def role_required(*roles: Role):
    """Enterprise members holding one of `roles` pass; everyone else gets 403."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def park_admin_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_park_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def member_required(view):
    """Any enterprise member (not a park administrator acting for a firm)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.enterprise is None:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
