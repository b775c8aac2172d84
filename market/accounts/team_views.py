"""Colleagues (invite, deactivate), accepting an invitation, password reset by a one-time
link, and the company's details."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from market.accounts import team
from market.accounts.auth import member_required
from market.accounts.forms import (
    AcceptInviteForm,
    CompanyForm,
    ForgotForm,
    InviteForm,
    SetPasswordForm,
)
from market.accounts.views import _login_limit, form_error
from market.errors import DomainError
from market.extensions import db, limiter

bp = Blueprint("team", __name__)


def _team_page(form, status=200):
    return render_template(
        "accounts/team.html",
        form=form,
        people=team.colleagues(current_user),
        invitations=team.open_invitations(current_user),
    ), status


@bp.get("/account/team")
@member_required
def index():
    return _team_page(InviteForm())


@bp.post("/account/team/invite")
@member_required
def invite():
    team.require_enterprise_admin(current_user)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            row, token = team.invite(current_user, form.email.data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            team.log_link(
                "Invitation", row.email, url_for("team.accept", token=token, _external=True)
            )
            flash(
                _("Invitation made for %(email)s; the link is valid for 7 days.", email=row.email),
                "success",
            )
            return redirect(url_for("team.index"))
    return _team_page(form, 400)


@bp.post("/account/team/<int:user_id>/deactivate")
@member_required
def deactivate(user_id: int):
    person = team.deactivate(current_user, user_id)
    db.session.commit()
    flash(_("%(name)s can no longer log in.", name=person.name), "info")
    return redirect(url_for("team.index"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def accept(token: str):
    invitation = team.invitation_for(token)
    form = AcceptInviteForm()
    if form.validate_on_submit():
        try:
            user = team.accept_invitation(token, form.name.data, form.password.data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Welcome: you have joined %(name)s.", name=user.enterprise.name), "success")
            return redirect(url_for("accounts.profile"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/accept.html", form=form, invitation=invitation), status


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        token = team.request_reset(form.email.data)
        db.session.commit()
        if token:
            team.log_link(
                "Password reset",
                form.email.data,
                url_for("team.reset", token=token, _external=True),
            )
        # The same answer whether or not the address is registered.
        return render_template("accounts/forgot.html", form=ForgotForm(formdata=None), sent=True)
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/forgot.html", form=form, sent=False), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset(token: str):
    team.reset_for(token)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            team.reset_password(token, form.password.data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your password is changed; log in with it."), "success")
            return redirect(url_for("accounts.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/reset.html", form=form), status


@bp.route("/account/company", methods=["GET", "POST"])
@member_required
def company():
    enterprise = team.require_enterprise_admin(current_user)
    form = CompanyForm(obj=enterprise)
    if form.validate_on_submit():
        try:
            team.edit_company(
                current_user,
                team.CompanyInput(
                    contact_name=form.contact_name.data,
                    contact_phone=form.contact_phone.data,
                    contact_email=form.contact_email.data or "",
                    address=form.address.data,
                    industry=form.industry.data or "",
                ),
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("The company's details are saved."), "success")
            return redirect(url_for("accounts.profile"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/company.html", form=form, e=enterprise), status
