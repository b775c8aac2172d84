"""Evidence behind a listing: photos, lab reports, MSDS and other documents, checked and
stored by the shared upload rules (market.uploads, images decoded by Pillow) under
<instance>/listing_files/ or MARKET_UPLOAD_DIR, added and deleted by the owner while the
listing is not awarded, read back only by users who may see the listing."""

import io
import os
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from market.accounts.models import User
from market.errors import Conflict, DomainError, NotFound
from market.extensions import db
from market.listings.checks import require_owner
from market.listings.models import (
    ATTACHMENT_KINDS,
    DemandListing,
    ListingAttachment,
    SupplyListing,
)
from market.listings.queries import can_view
from market.listings.states import ListingStatus
from market.uploads import IMAGE_MIMES, FileStore, Upload

STORE = FileStore(
    dir_key="LISTING_FILES_DIR",
    subfolder="listing_files",
    max_key="LISTING_FILE_MAX_BYTES",
    decode_images=True,
)
FILES_PER_LISTING_DEFAULT = 8
CAPTION_MAX = 200
THUMB_PX = 320
# Files may be added while a listing is live, and removed until its lot is awarded.
ADDABLE = frozenset({ListingStatus.DRAFT, ListingStatus.OPEN, ListingStatus.BIDS_CLOSED})
LOCKED = frozenset({ListingStatus.AWARDED, ListingStatus.CLOSED})


@dataclass(frozen=True)
class AttachmentInput:
    kind: str
    caption: str
    upload: Upload


def max_files() -> int:
    return int(current_app.config.get("LISTING_FILES_PER_LISTING") or FILES_PER_LISTING_DEFAULT)


def _key(listing) -> dict:
    column = "supply_listing_id" if isinstance(listing, SupplyListing) else "demand_listing_id"
    return {column: listing.id}


def attachments_of(listing) -> list[ListingAttachment]:
    return list(
        db.session.scalars(
            db.select(ListingAttachment).filter_by(**_key(listing)).order_by(ListingAttachment.id)
        )
    )


def may_add(user: User, listing) -> bool:
    return user.enterprise_id == listing.enterprise_id and listing.status in ADDABLE


def may_remove(user: User, listing) -> bool:
    return user.enterprise_id == listing.enterprise_id and listing.status not in LOCKED


def _checked_caption(caption: str) -> str:
    caption = (caption or "").strip()
    if len(caption) > CAPTION_MAX:
        raise DomainError(_("At most %(n)d characters.", n=CAPTION_MAX), field="caption")
    return caption


def attach(user: User, listing, data: AttachmentInput) -> ListingAttachment:
    """Check everything, then write the file and its row (nothing is stored on refusal).

    :raises Forbidden: not the owner. :raises Conflict: the listing is no longer live.
    :raises DomainError: unknown kind, caption too long, too many files, or a bad file.
    """
    require_owner(user, listing)
    if listing.status not in ADDABLE:
        raise Conflict(_("Files can be added only while the listing is a draft or open."))
    if data.kind not in ATTACHMENT_KINDS:
        raise DomainError(_("Choose what the file is."), field="kind")
    caption = _checked_caption(data.caption)
    if len(attachments_of(listing)) >= max_files():
        raise DomainError(
            _("A listing holds at most %(n)d files; delete one first.", n=max_files()),
            field="file",
        )
    mime, ext = STORE.check(data.upload)
    if data.kind == "photo" and mime not in IMAGE_MIMES:
        raise DomainError(_("A photo must be a PNG or JPEG image."), field="file")
    stored = STORE.write(data.upload, mime, ext)
    row = ListingAttachment(
        **_key(listing), kind=data.kind, caption=caption, uploaded_by_id=user.id, **stored.__dict__
    )
    db.session.add(row)
    db.session.flush()
    return row


def _listing_of(row: ListingAttachment):
    if row.supply_listing_id is not None:
        return db.session.get(SupplyListing, row.supply_listing_id)
    return db.session.get(DemandListing, row.demand_listing_id)


def visible(user: User, attachment_id: int) -> tuple[ListingAttachment, object]:
    """The attachment and its listing, for users who may see the listing.

    :raises NotFound: no such file, or the listing is hidden from the user."""
    row = db.session.get(ListingAttachment, attachment_id)
    listing = _listing_of(row) if row is not None else None
    if listing is None or not can_view(user, listing):
        raise NotFound(_("No such file."))
    return row, listing


def remove(user: User, attachment_id: int):
    """Take a file off the owner's listing (the file on disk stays: another row may share
    it, as it is named by its content). Returns the listing.

    :raises Conflict: the lot is awarded or closed."""
    row, listing = visible(user, attachment_id)
    require_owner(user, listing)
    if listing.status in LOCKED:
        raise Conflict(_("The files of an awarded lot are kept as they were."))
    db.session.delete(row)
    db.session.flush()
    return listing


def path_for(user: User, attachment_id: int) -> tuple[ListingAttachment, Path]:
    row, _listing = visible(user, attachment_id)
    path = STORE.path_of(row.stored_path)
    if not path.is_file():
        raise NotFound(_("No such file."))
    return row, path


def thumbnail_for(user: User, attachment_id: int) -> Path:
    """A small JPEG of a photo, made once and kept beside the files (thumbs/<sha256>.jpg).

    :raises NotFound: not an image, or as path_for."""
    row, path = path_for(user, attachment_id)
    if not row.is_image:
        raise NotFound(_("No such file."))
    thumb = STORE.folder() / "thumbs" / f"{row.sha256}.jpg"
    if not thumb.is_file():
        thumb.parent.mkdir(parents=True, exist_ok=True)
        partial = thumb.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(_shrink(path.read_bytes()))
        partial.replace(thumb)
    return thumb


def _shrink(data: bytes) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        small = ImageOps.exif_transpose(image).convert("RGB")
        small.thumbnail((THUMB_PX, THUMB_PX))
        out = io.BytesIO()
        small.save(out, "JPEG", quality=80)
    return out.getvalue()
