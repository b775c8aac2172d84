"""Manifest pages: the list, a manifest's page with the forms of whoever must sign next, the
transporter's phone page, the print page and PDF, and the public verification page."""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market import menu
from market.accounts.auth import role_required
from market.accounts.models import Role, User
from market.accounts.views import form_error
from market.deals.forms import CancelDealForm as CancelForm  # one reason, as for a deal
from market.errors import DomainError, Forbidden, NotFound
from market.extensions import db, limiter
from market.formatting import current_locale
from market.formfields import choices
from market.manifests import labels, printing, queries, services
from market.manifests.aftercare import CORRECTABLE, refresh_overdue
from market.manifests.calendar import settings_for
from market.manifests.forms import (
    CorrectionForm,
    PickupForm,
    ReceiptForm,
    RejectForm,
    correction_input,
    pickup_input,
    receipt_input,
    reject_input,
)
from market.manifests.models import Manifest
from market.manifests.states import FINAL, ManifestStatus
from market.manifests.tokens import looks_like_token

bp = Blueprint("manifests", __name__)

S = ManifestStatus
STATUS_FILTERS = tuple(s.value for s in S if s != S.DRAFT)

for _name, _filter in labels.FILTERS.items():
    bp.add_app_template_filter(_filter, _name)


@bp.app_template_global()
def manifest_counts() -> dict[str, int]:
    """What waits on the signed-in user's enterprise, for the menu (market.menu)."""
    if not getattr(current_user, "is_authenticated", False) or current_user.enterprise is None:
        return {}
    badges = menu.counts()
    counts = {"awaiting": badges["awaiting"]}
    if current_user.has_role(Role.TRANSPORTER) or current_user.has_role(Role.RECYCLER):
        counts.update(pickups=badges["pickups"], carrying=badges["carrying"])
    return counts


def _load(manifest_id: int) -> Manifest:
    manifest = db.session.get(Manifest, manifest_id)
    if manifest is None or not queries.may_see(current_user, manifest):
        abort(404)
    return manifest


@bp.get("/manifests/")
@login_required
def index():
    status = request.args.get("status") or None
    if status not in (None, *STATUS_FILTERS):
        status = None
    page = db.paginate(queries.manifests_for(current_user, status), per_page=25, error_out=False)
    awaiting = queries.awaiting(current_user) if current_user.enterprise else []
    return render_template(
        "manifests/index.html", page=page, status=status, filters=STATUS_FILTERS, awaiting=awaiting
    )


@bp.get("/manifests/transport")
@role_required(Role.TRANSPORTER, Role.RECYCLER)  # a recycler may carry the load itself
def transport():
    return _transport_page()


def _transport_page(failed: Manifest | None = None, failed_form=None, status: int = 200):
    queue = queries.transporter_queue(current_user)
    forms = {}
    for m in queue:
        forms[m.id] = (
            failed_form
            if failed is not None and m.id == failed.id
            else PickupForm(formdata=None, prefix=f"m{m.id}")
        )
    return render_template("manifests/transport.html", queue=queue, forms=forms), status


@bp.get("/manifests/<int:manifest_id>")
@login_required
def detail(manifest_id: int):
    _load(manifest_id)
    # The check on access, before the page is read, so it shows what it did.
    manifest = refresh_overdue(manifest_id)
    db.session.commit()
    return detail_page(manifest)


def _forms_for(manifest: Manifest, sides: list[str]) -> dict:
    """The forms of the steps the user's side may take now."""
    status, forms = manifest.status, {}
    if "generator" in sides and status == S.SUBMITTED:
        forms["cancel"] = CancelForm(formdata=None)
    if "transporter" in sides and status == S.SUBMITTED:
        forms["pickup"] = PickupForm(formdata=None, prefix=f"m{manifest.id}")
    if "receiver" in sides and status == S.IN_TRANSIT:
        forms["receipt"] = _with_receivers(ReceiptForm(formdata=None), manifest)
        forms["reject"] = _with_receivers(RejectForm(formdata=None), manifest)
    if sides and status in FINAL and status != S.CANCELLED:
        forms["correct"] = _correction_form(CorrectionForm(formdata=None))
    return forms


def _signers(manifest: Manifest) -> dict[str, User | None]:
    ids = {
        "submitted": manifest.submitted_by_id,
        "pickup": manifest.pickup_signed_by_id,
        "receipt": manifest.receipt_signed_by_id,
    }
    return {k: db.session.get(User, v) if v else None for k, v in ids.items()}


def _with_receivers(form, manifest: Manifest):
    """Where a rejected load may go instead (the park's other recyclers), and the ways of
    treatment grouped under utilisation and disposal."""
    others = queries.other_receivers(manifest)
    form.alternate_receiver_id.choices = choices((0, "—"), *((e.id, e.name) for e in others))
    if hasattr(form, "treatment_method"):
        form.treatment_method.choices = labels.method_choices()
    return form


def _correction_form(form: CorrectionForm) -> CorrectionForm:
    form.treatment_method.choices = labels.method_choices(blank=_("unchanged"))
    return form


def detail_page(manifest: Manifest, status: int = 200, **bound):
    sides = manifest.party_of(current_user.enterprise_id)
    forms = {**_forms_for(manifest, sides), **bound}
    return render_template(
        "manifests/detail.html",
        m=manifest,
        sides=sides,
        forms=forms,
        signers=_signers(manifest),
        correctable={name for side in sides for name in CORRECTABLE[side]},
        tolerance_pct=settings_for(manifest.park_id).tolerance_pct,
        events=queries.history(manifest),
        versions=queries.versions(manifest),
        chain_ok=queries.chain_ok(manifest),
    ), status


def refused(form, exc: DomainError) -> int:
    """A service's refusal beside its field (or on top of the form); the response status.
    Being the wrong party, or no party at all, is an error page, not a form error."""
    if isinstance(exc, Forbidden | NotFound) and not exc.field:
        raise exc
    form_error(form, exc)
    return exc.status


def _act(manifest_id: int, name: str, form, call, done: str, settles: bool = False):
    """Validate `form`, call the service, commit and go back; else the page with the errors.
    `settles`: the step may have settled the deal, so a recorded top-up is charged now."""
    manifest = _load(manifest_id)
    status = 400
    if form.validate_on_submit():
        try:
            call(form)
        except DomainError as exc:
            status = refused(form, exc)
        else:
            db.session.commit()
            if settles:
                services.after_commit(manifest.deal_id)
            flash(done, "success")
            return redirect(url_for(".detail", manifest_id=manifest_id))
    db.session.refresh(manifest)
    return detail_page(manifest, status, **{name: form})


@bp.post("/manifests/<int:manifest_id>/pickup")
@role_required(Role.TRANSPORTER, Role.RECYCLER)
def sign_pickup(manifest_id: int):
    manifest = _load(manifest_id)
    form = PickupForm(prefix=f"m{manifest_id}")
    from_queue, status = request.args.get("from") == "transport", 400
    if form.validate_on_submit():
        try:
            services.sign_pickup(current_user, manifest_id, pickup_input(form))
        except DomainError as exc:
            status = refused(form, exc)
        else:
            db.session.commit()
            flash(_("Pickup signed for manifest %(n)s.", n=manifest.number), "success")
            if from_queue:
                return redirect(url_for(".transport", _anchor=f"m{manifest_id}"))
            return redirect(url_for(".detail", manifest_id=manifest_id))
    if from_queue:
        return _transport_page(manifest, form, status)
    db.session.refresh(manifest)
    return detail_page(manifest, status, pickup=form)


@bp.post("/manifests/<int:manifest_id>/receipt")
@login_required
def sign_receipt(manifest_id: int):
    return _act(
        manifest_id,
        "receipt",
        _with_receivers(ReceiptForm(), _load(manifest_id)),
        lambda f: services.sign_receipt(current_user, manifest_id, receipt_input(f)),
        _("Receipt signed; the manifest is closed."),
        settles=True,
    )


@bp.post("/manifests/<int:manifest_id>/reject")
@login_required
def reject(manifest_id: int):
    return _act(
        manifest_id,
        "reject",
        _with_receivers(RejectForm(), _load(manifest_id)),
        lambda f: services.reject_manifest(current_user, manifest_id, reject_input(f)),
        _("The load was rejected; the generator is told."),
        settles=True,
    )


@bp.post("/manifests/<int:manifest_id>/cancel")
@login_required
def cancel(manifest_id: int):
    return _act(
        manifest_id,
        "cancel",
        CancelForm(),
        lambda f: services.cancel_manifest(current_user, manifest_id, f.note.data),
        _("Manifest cancelled."),
    )


@bp.post("/manifests/<int:manifest_id>/correct")
@login_required
def correct(manifest_id: int):
    return _act(
        manifest_id,
        "correct",
        _correction_form(CorrectionForm()),
        lambda f: services.correct_manifest(current_user, manifest_id, correction_input(f)),
        _("Correction saved as a new version."),
    )


def _sheet(manifest: Manifest, public: bool):
    return printing.sheet_of(
        manifest,
        verify_url=url_for(".verify", token=manifest.verify_token, _external=True),
        chain_ok=queries.chain_ok(manifest),
        public=public,
        locale=current_locale(),
    )


@bp.get("/manifests/<int:manifest_id>/print")
@login_required
def print_page(manifest_id: int):
    manifest = _load(manifest_id)
    return render_template(
        "manifests/print.html",
        sheet=_sheet(manifest, public=False),
        pdf_url=url_for(".pdf", manifest_id=manifest_id),
        back_url=url_for(".detail", manifest_id=manifest_id),
    )


@bp.get("/manifests/<int:manifest_id>/pdf")
@login_required
def pdf(manifest_id: int):
    manifest = _load(manifest_id)
    body = printing.render_pdf(_sheet(manifest, public=False))
    name = f"manifest-{manifest.number}.pdf"
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _verify_limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT", "30 per minute;300 per hour")


@bp.get("/v/<token>")
@limiter.limit(_verify_limit)
def verify(token: str):
    """Public: what the QR code opens. A malformed token never reaches the database."""
    manifest = queries.by_token(token) if looks_like_token(token) else None
    sheet = _sheet(manifest, public=True) if manifest is not None else None
    body = render_template("manifests/verify.html", sheet=sheet)
    # The token is the only key to the page: keep it out of search engines and Referer headers.
    headers = {"X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}
    return body, 404 if sheet is None else 200, headers
