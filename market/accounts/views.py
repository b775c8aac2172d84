"""Login, logout, registration, the enterprise profile, licences and API tokens."""

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import SelectChoice

from market.accounts import licences as licence_service
from market.accounts import services
from market.accounts.auth import issue_token, member_required, revoke_token, role_required
from market.accounts.forms import (
    DigestForm,
    LicenceDocumentForm,
    LoginForm,
    RegisterForm,
    TokenForm,
)
from market.accounts.licences import DOCUMENTS
from market.accounts.models import ApiToken, Park, Role
from market.accounts.states import can_resubmit
from market.errors import DomainError
from market.extensions import db, limiter
from market.formfields import choices, site_choice
from market.listings.forms import split_codes
from market.outreach import services as outreach
from market.views import safe_next

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]


def form_error(form, exc: DomainError) -> None:
    """Show a service's refusal beside the field it names (or at the top)."""
    db.session.rollback()
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "danger")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        flash(_("Wrong email or password."), "danger")
    status = 400 if form.errors or request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    parks = db.session.execute(db.select(Park).order_by(Park.id)).scalars().all()
    form.park_id.choices = choices(*((p.id, p.name) for p in parks))
    form.site_id.choices = [
        SelectChoice(0, _("— none: type the address —")),
        *(site_choice(s, p.name) for p in parks for s in p.sites),
    ]
    if form.validate_on_submit():
        try:
            enterprise = services.register_enterprise(
                services.EnterpriseInput(
                    park_id=form.park_id.data,
                    name=form.name.data,
                    uscc=form.uscc.data,
                    roles=form.roles.data,
                    address=form.address.data or "",
                    site_id=form.site_id.data or None,
                    lat=form.lat.data,
                    lon=form.lon.data,
                    contact_name=form.contact_name.data,
                    contact_phone=form.contact_phone.data,
                    contact_email=form.email.data,
                    industry=form.industry.data or "",
                ),
                services.UserInput(
                    email=form.email.data, name=form.user_name.data, password=form.password.data
                ),
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            login_user(enterprise.users[0])
            flash(_("Your enterprise is registered."), "success")
            return redirect(url_for("accounts.profile"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/register.html", form=form), status


@bp.get("/account")
@login_required
def profile():
    tokens = (
        db.session.execute(
            db.select(ApiToken).filter_by(user_id=current_user.id).order_by(ApiToken.id.desc())
        )
        .scalars()
        .all()
    )
    return render_template("accounts/profile.html", tokens=tokens, token_form=TokenForm())


def _licence_input(form) -> services.LicenceInput:
    return services.LicenceInput(
        number=form.number.data or "",
        codes=split_codes(form.codes.data),
        capacity_kg_per_year=int(form.capacity_t.data * 1000),
        valid_from=form.valid_from.data,
        valid_until=form.valid_until.data,
    )


def _upload(form):
    storage = form.document.data
    return DOCUMENTS.read(storage) if storage and storage.filename else None


def _prefix(licence_id: int) -> str:
    """Each re-submit form on the page has its own field names and ids."""
    return f"licence-{licence_id}"


def _licences_page(form, resubmit_id=None, resubmit_form=None, status=200):
    """The page; each rejected or expired licence gets a re-submit form filled from it
    (the one just posted keeps what was typed and its errors)."""
    forms = {}
    for lic in current_user.enterprise.licences:
        if lic.id == resubmit_id:
            forms[lic.id] = resubmit_form
        elif can_resubmit(lic.status, lic.is_expired):
            forms[lic.id] = LicenceDocumentForm(
                formdata=None,
                prefix=_prefix(lic.id),
                data={
                    "number": lic.number,
                    "capacity_t": (Decimal(lic.capacity_kg_per_year) / 1000).normalize(),
                    "codes": ", ".join(c.code for c in lic.codes),
                    "valid_from": lic.valid_from,
                    "valid_until": lic.valid_until,
                },
            )
    return render_template(
        "accounts/licences.html", form=form, resubmit_forms=forms, open_id=resubmit_id
    ), status


@bp.route("/account/licences", methods=["GET", "POST"])
@member_required
def licences():
    """The recycler's licences, what is pending or rejected and why, and a new one."""
    licence_service.require_recycler(current_user)
    form = LicenceDocumentForm()
    if form.validate_on_submit():
        try:
            licence_service.submit_licence(current_user, _licence_input(form), _upload(form))
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Licence submitted; the park administrator will review it."), "success")
            return redirect(url_for("accounts.licences"))
    return _licences_page(form, status=400 if request.method == "POST" else 200)


@bp.post("/account/licences/<int:licence_id>/resubmit")
@member_required
def resubmit_licence(licence_id: int):
    licence_service.resubmittable(current_user, licence_id)
    form = LicenceDocumentForm(prefix=_prefix(licence_id))
    if form.validate_on_submit():
        try:
            licence_service.resubmit_licence(
                current_user, licence_id, _licence_input(form), _upload(form)
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Licence re-submitted; the park administrator will review it."), "success")
            return redirect(url_for("accounts.licences"))
    return _licences_page(LicenceDocumentForm(formdata=None), licence_id, form, 400)


@bp.get("/licences/<int:licence_id>/document")
@login_required
def licence_document(licence_id: int):
    """For the holder's members and its park's administrators only."""
    licence, path = licence_service.document_of(current_user, licence_id)
    response = send_file(path, mimetype=licence.document_mime, download_name=licence.document_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/account/tokens")
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        flash(_("Give the token a name."), "danger")
        return redirect(url_for("accounts.profile"))
    _row, plain = issue_token(current_user, form.name.data)
    db.session.commit()
    tokens = (
        db.session.execute(
            db.select(ApiToken).filter_by(user_id=current_user.id).order_by(ApiToken.id.desc())
        )
        .scalars()
        .all()
    )
    return render_template(
        "accounts/profile.html",
        tokens=tokens,
        token_form=TokenForm(),
        new_token=plain,
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    revoke_token(current_user, token_id)
    db.session.commit()
    flash(_("Token revoked."), "info")
    return redirect(url_for("accounts.profile"))


@bp.post("/account/digest")
@role_required(Role.RECYCLER)
def set_digest():
    """A recycler's user chooses whether a daily digest of new good matches is sent."""
    form = DigestForm()
    if not form.validate_on_submit():
        flash(_("The form expired; try again."), "danger")
        return redirect(url_for("accounts.profile"))
    outreach.set_digest(current_user, form.match_digest.data)
    db.session.commit()
    if form.match_digest.data:
        flash(_("You will get a daily digest of new good matches in the inbox."), "success")
    else:
        flash(_("No more daily digests of matches."), "info")
    return redirect(url_for("accounts.profile"))
