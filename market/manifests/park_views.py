"""The park administrator's manifest pages: the working-day calendar, the manifest settings
and the park's discrepant and overdue manifests."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market import clock
from market.accounts.auth import park_admin_required
from market.accounts.views import form_error
from market.errors import DomainError
from market.extensions import db
from market.manifests import calendar
from market.manifests.calendar_forms import CalendarDayForm, ManifestSettingsForm, YearForm

bp = Blueprint("park_manifests", __name__, url_prefix="/admin/manifests")


def _default_year() -> int:
    """The first year from this one that the park's list decides (else this one)."""
    year = clock.today().year
    return year + 1 if calendar.official_year(year) else year


def _page(year: int, day_form=None, settings_form=None, status: int = 200):
    park_id = current_user.admin_park_id
    days = calendar.calendar_days(park_id, year)
    listed = {row.day: row.kind for row in days}
    settings = calendar.settings_for(park_id)
    if settings_form is None:
        settings_form = ManifestSettingsForm(formdata=None, obj=settings)
    if day_form is None:
        day_form = CalendarDayForm(formdata=None)
    months = [(m, calendar.month_grid(year, m, listed)) for m in range(1, 13)]
    return render_template(
        "manifests/calendar.html",
        year=year,
        official=calendar.official_year(year),
        days=days,
        months=months,
        day_form=day_form,
        settings_form=settings_form,
        settings=settings,
        flagged=_flag_counts(park_id),
    ), status


def _flag_counts(park_id: int) -> dict[str, int]:
    return {
        flag: db.session.scalar(
            db.select(db.func.count()).select_from(calendar.flagged(park_id, flag).subquery())
        )
        for flag in ("discrepant", "overdue")
    }


@bp.get("/calendar")
@park_admin_required
def calendar_page():
    form = YearForm(request.args)
    if not form.validate():
        flash(form.year.errors[0], "danger")
        return _page(_default_year(), status=400)
    return _page(form.year.data or _default_year())


@bp.post("/calendar/days")
@park_admin_required
def add_day():
    form = CalendarDayForm()
    year = form.day.data.year if form.day.data else _default_year()
    if form.validate_on_submit():
        try:
            rows = calendar.add_calendar_days(current_user, form.to_input())
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("%(n)d day(s) added to the park's calendar.", n=len(rows)), "success")
            return redirect(url_for(".calendar_page", year=year))
    return _page(
        year if calendar.FIRST_YEAR <= year <= calendar.LAST_YEAR else _default_year(),
        day_form=form,
        status=400,
    )


@bp.post("/calendar/days/<int:day_id>/remove")
@park_admin_required
def remove_day(day_id: int):
    day = calendar.remove_calendar_day(current_user, day_id)
    db.session.commit()
    flash(_("%(day)s removed from the park's calendar.", day=day.isoformat()), "info")
    return redirect(url_for(".calendar_page", year=day.year))


@bp.post("/settings")
@park_admin_required
def save_settings():
    form = ManifestSettingsForm()
    year = request.args.get("year", type=int) or _default_year()
    if form.validate_on_submit():
        try:
            calendar.save_settings(current_user, form.to_input())
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Manifest settings saved."), "success")
            return redirect(url_for(".calendar_page", year=year))
    if not calendar.FIRST_YEAR <= year <= calendar.LAST_YEAR:
        year = _default_year()
    return _page(year, settings_form=form, status=400)


@bp.get("/flagged")
@park_admin_required
def flagged():
    flag = request.args.get("flag", "any")
    if flag not in calendar.FLAGS:
        flag = "any"
    page = db.paginate(
        calendar.flagged(current_user.admin_park_id, flag), per_page=30, error_out=False
    )
    return render_template(
        "manifests/flagged.html",
        page=page,
        flag=flag,
        counts=_flag_counts(current_user.admin_park_id),
    )
