"""The park administrator's list of the park's named sites: add, change, delete."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts import sites
from market.accounts.auth import park_admin_required
from market.accounts.views import form_error
from market.admin.forms import SiteForm
from market.errors import DomainError
from market.extensions import db

bp = Blueprint("admin_sites", __name__, url_prefix="/admin/sites")


def _input(form: SiteForm) -> sites.SiteInput:
    return sites.SiteInput(form.name.data, form.address.data, form.lat.data, form.lon.data)


def _page(form: SiteForm, status: int = 200):
    rows = sites.sites_of(current_user.admin_park_id)
    return render_template("admin/sites.html", rows=rows, form=form), status


@bp.get("/")
@park_admin_required
def index():
    return _page(SiteForm(formdata=None))


@bp.post("/")
@park_admin_required
def create():
    form = SiteForm()
    if form.validate_on_submit():
        try:
            site = sites.create_site(current_user, _input(form))
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Site “%(name)s” added.", name=site.name), "success")
            return redirect(url_for(".index"))
    return _page(form, 400)


@bp.route("/<int:site_id>/edit", methods=["GET", "POST"])
@park_admin_required
def edit(site_id: int):
    site = sites.admin_site(current_user, site_id)
    form = SiteForm(obj=site) if request.method == "GET" else SiteForm()
    if form.validate_on_submit():
        try:
            sites.update_site(current_user, site_id, _input(form))
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Site saved."), "success")
            return redirect(url_for(".index"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/site_edit.html", site=site, form=form), status


@bp.post("/<int:site_id>/delete")
@park_admin_required
def delete(site_id: int):
    sites.delete_site(current_user, site_id)
    db.session.commit()
    flash(_("Site deleted; listings and enterprises keep the address they took."), "info")
    return redirect(url_for(".index"))
