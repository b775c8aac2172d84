"""Colleagues and one-time links: the enterprise administrator invites colleagues (a link
valid 7 days), deactivates them and edits the company's details; anyone may ask for a
password reset link (valid 1 hour). Links are used once; only their SHA-256 is stored.
There is no mail server: the link is written to the log, where development reads it."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _

from market.accounts import phone
from market.accounts.auth import hash_password, token_digest
from market.accounts.models import Enterprise, Invitation, PasswordReset, User
from market.accounts.services import UserInput, create_user
from market.db import utcnow
from market.errors import Conflict, DomainError, Forbidden, NotFound
from market.extensions import db

INVITE_DAYS = 7
RESET_HOURS = 1
MIN_PASSWORD = 8


def require_enterprise_admin(user: User) -> Enterprise:
    if user.enterprise is None or not user.is_enterprise_admin:
        raise Forbidden(_("Only the enterprise's administrators may do this."))
    return user.enterprise


def _new_token() -> tuple[str, str]:
    plain = secrets.token_urlsafe(32)
    return plain, token_digest(plain)


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise DomainError(_("The password needs at least 8 characters."), field="password")


def colleagues(admin: User) -> list[User]:
    enterprise = require_enterprise_admin(admin)
    return (
        db.session.execute(db.select(User).filter_by(enterprise_id=enterprise.id).order_by(User.id))
        .scalars()
        .all()
    )


def open_invitations(admin: User) -> list[Invitation]:
    enterprise = require_enterprise_admin(admin)
    return (
        db.session.execute(
            db.select(Invitation)
            .filter_by(enterprise_id=enterprise.id, used_at=None)
            .where(Invitation.expires_at > utcnow())
            .order_by(Invitation.id.desc())
        )
        .scalars()
        .all()
    )


def invite(admin: User, email: str) -> tuple[Invitation, str]:
    """An invitation for `email`; returns the plain token (shown in the link once)."""
    enterprise = require_enterprise_admin(admin)
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 120:
        raise DomainError(_("This is not an email address."), field="email")
    if db.session.execute(db.select(User.id).filter_by(email=email)).first():
        raise Conflict(_("This email address is already registered."), field="email")
    plain, digest = _new_token()
    row = Invitation(
        enterprise_id=enterprise.id,
        email=email,
        token_hash=digest,
        invited_by_id=admin.id,
        expires_at=utcnow() + timedelta(days=INVITE_DAYS),
    )
    db.session.add(row)
    db.session.flush()
    return row, plain


def invitation_for(token: str) -> Invitation:
    """The unused, unexpired invitation behind a link."""
    row = db.session.execute(
        db.select(Invitation).filter_by(token_hash=token_digest(token or ""))
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise NotFound(_("This invitation link is invalid, used or expired; ask for a new one."))
    return row


def accept_invitation(token: str, name: str, password: str) -> User:
    row = invitation_for(token)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter your name."), field="name")
    _check_password(password)
    # Claim the link first, conditionally: a second use of the same link loses here.
    claimed = db.session.execute(
        db.update(Invitation)
        .where(Invitation.id == row.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise NotFound(_("This invitation link is invalid, used or expired; ask for a new one."))
    return create_user(UserInput(row.email, name, password), enterprise=row.enterprise)


def deactivate(admin: User, user_id: int) -> User:
    enterprise = require_enterprise_admin(admin)
    target = db.session.get(User, user_id)
    if target is None or target.enterprise_id != enterprise.id:
        raise NotFound(_("No such colleague."))
    if target.id == admin.id:
        others = db.session.execute(
            db.select(db.func.count(User.id)).where(
                User.enterprise_id == enterprise.id,
                User.is_enterprise_admin.is_(True),
                User.active.is_(True),
                User.id != admin.id,
            )
        ).scalar_one()
        if not others:
            raise Conflict(_("You are the last administrator of your enterprise."))
    target.active = False
    db.session.flush()
    return target


def request_reset(email: str) -> str | None:
    """A reset link for an active user with this email, or None; the caller answers the
    same either way (no enumeration)."""
    user = db.session.execute(
        db.select(User).filter_by(email=(email or "").strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.active:
        return None
    plain, digest = _new_token()
    db.session.add(
        PasswordReset(
            user_id=user.id, token_hash=digest, expires_at=utcnow() + timedelta(hours=RESET_HOURS)
        )
    )
    db.session.flush()
    return plain


def reset_for(token: str) -> PasswordReset:
    row = db.session.execute(
        db.select(PasswordReset).filter_by(token_hash=token_digest(token or ""))
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise NotFound(_("This reset link is invalid, used or expired; ask for a new one."))
    return row


def reset_password(token: str, password: str) -> User:
    row = reset_for(token)
    _check_password(password)
    claimed = db.session.execute(
        db.update(PasswordReset)
        .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise NotFound(_("This reset link is invalid, used or expired; ask for a new one."))
    row.user.password_hash = hash_password(password)
    db.session.flush()
    return row.user


def log_link(kind: str, email: str, url: str) -> None:
    """No mail server: the link goes to the log (development reads it there)."""
    current_app.logger.warning("%s link for %s: %s", kind, email, url)


@dataclass
class CompanyInput:
    contact_name: str
    contact_phone: str
    contact_email: str
    address: str
    industry: str = ""


def edit_company(admin: User, data: CompanyInput) -> Enterprise:
    """Contact, address and industry; the name and credit code are not changed here."""
    enterprise = require_enterprise_admin(admin)
    contact_name = (data.contact_name or "").strip()
    if not contact_name:
        raise DomainError(_("Enter the contact person's name."), field="contact_name")
    try:
        number = phone.validate(data.contact_phone)
    except ValueError:
        raise DomainError(
            _("Enter a mobile number of 11 digits or a landline with its area code."),
            field="contact_phone",
        ) from None
    address = (data.address or "").strip()
    if not address:
        raise DomainError(_("Enter the site's address."), field="address")
    email = (data.contact_email or "").strip()
    if email and "@" not in email:
        raise DomainError(_("This is not an email address."), field="contact_email")
    enterprise.contact_name, enterprise.contact_phone = contact_name[:60], number
    enterprise.contact_email, enterprise.address = email[:120], address[:200]
    industry, enterprise.industry = enterprise.industry, (data.industry or "").strip()[:80]
    db.session.flush()
    if enterprise.industry != industry:
        from market.manifests.flows import regroup_generator

        regroup_generator(enterprise.id, industry)  # the dashboard's summary is by industry
    return enterprise
