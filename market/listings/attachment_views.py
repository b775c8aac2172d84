"""Pages for a listing's evidence files: uploading (the owner), viewing and downloading
(users who may see the listing), thumbnails of photos, and deleting (the owner)."""

from flask import Blueprint, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from market.accounts.views import form_error
from market.errors import Conflict, DomainError, error_response
from market.extensions import db
from market.listings import attachments
from market.listings.attachments import STORE, AttachmentInput
from market.listings.checks import require_owner
from market.listings.forms import AttachmentForm
from market.listings.views import _load, listing_page
from market.uploads import allow_larger_bodies, too_large_message

bp = Blueprint("attachments", __name__)
SLACK = 64 * 1024  # the form's other fields and the multipart framing


@bp.record_once
def _before_the_csrf_check(state) -> None:
    allow_larger_bodies(state, {"attachments.upload": lambda: STORE.max_bytes() + SLACK})


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    """A file far over the limit is refused before it is read: say so beside the field."""
    message = too_large_message(STORE.max_bytes())
    args = request.view_args or {}
    if request.endpoint != "attachments.upload" or not current_user.is_authenticated:
        return error_response(413, message)
    listing = _load(args["kind"], args["listing_id"])
    form = AttachmentForm(formdata=None)
    form.file.errors = [message]
    return listing_page(args["kind"], listing, status=413, attach_form=form)


@bp.post("/listings/<kind>/<int:listing_id>/files")
@login_required
def upload(kind: str, listing_id: int):
    listing = _load(kind, listing_id)
    require_owner(current_user, listing)  # a stranger learns nothing from form errors
    form, status = AttachmentForm(), 400
    if form.validate_on_submit():
        data = AttachmentInput(form.kind.data, form.caption.data, STORE.read(form.file.data))
        try:
            attachments.attach(current_user, listing, data)
        except DomainError as exc:
            form_error(form, exc)
            status = exc.status
        else:
            db.session.commit()
            flash(_("File added."), "success")
            return redirect(url_for("listings.detail", kind=kind, listing_id=listing_id) + "#files")
    db.session.refresh(listing)
    return listing_page(kind, listing, status=status, attach_form=form)


def _private(response):
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/listings/files/<int:attachment_id>")
@login_required
def file(attachment_id: int):
    """Photos open in the browser; documents are downloaded under their own name."""
    row, path = attachments.path_for(current_user, attachment_id)
    return _private(
        send_file(
            path,
            mimetype=row.mime,
            as_attachment=not row.is_image,
            download_name=row.original_name,
        )
    )


@bp.get("/listings/files/<int:attachment_id>/thumb")
@login_required
def thumb(attachment_id: int):
    return _private(send_file(attachments.thumbnail_for(current_user, attachment_id), "image/jpeg"))


@bp.post("/listings/files/<int:attachment_id>/delete")
@login_required
def delete(attachment_id: int):
    _row, listing = attachments.visible(current_user, attachment_id)
    try:
        attachments.remove(current_user, attachment_id)
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("File deleted."), "info")
    return redirect(url_for("listings.detail", kind=listing.kind, listing_id=listing.id) + "#files")
