"""Uploaded files, for every feature that keeps them (credit evidence, listing attachments):
checked by content (PNG, JPEG or PDF magic bytes, whatever the name or the browser's claimed
type says; images optionally decoded by Pillow), size-limited, stored outside the web root
named by their SHA-256, and found again only inside their own folder."""

import hashlib
import io
import os
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, request, send_file
from flask_babel import gettext as _

from market.errors import DomainError

MAGIC = (  # (prefix, mime, extension)
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"%PDF-", "application/pdf", "pdf"),
)
MIMES = tuple(mime for _prefix, mime, _ext in MAGIC)
IMAGE_MIMES = ("image/png", "image/jpeg")
PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}
MAX_NAME = 200


@dataclass(frozen=True)
class Upload:
    """What the web or API layer hands over: the client's file name and the bytes."""

    filename: str
    data: bytes

    @classmethod
    def from_storage(cls, storage, limit: int) -> "Upload":
        """From a werkzeug FileStorage, reading at most one byte past the limit."""
        return cls(storage.filename or "", storage.stream.read(limit + 1))


@dataclass(frozen=True)
class Stored:
    stored_path: str
    original_name: str
    mime: str
    size_bytes: int
    sha256: str


def sniff(data: bytes) -> tuple[str, str] | None:
    """(mime, extension) by the file's first bytes, or None for anything else."""
    for prefix, mime, ext in MAGIC:
        if data.startswith(prefix):
            return mime, ext
    return None


def image_decodes(data: bytes, mime: str) -> bool:
    """Pillow reads the whole image as the format its first bytes claim (a PNG header on
    anything else, a truncated file or a decompression bomb is refused). True without
    Pillow: the magic bytes are then all that is checked."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with fpdf2
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != PILLOW_FORMATS[mime]:
                    return False
                image.load()
    except Exception:  # any failure to decode means "not this image"
        return False
    return True


def clean_name(name: str) -> str:
    """The client's name, kept only to show: no path, no control characters, shortened."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable()).strip() or "file"
    return base[-MAX_NAME:]


@dataclass(frozen=True)
class FileStore:
    """One feature's files: its folder and size limit come from the app's config."""

    dir_key: str  # config key of the folder ("" = <instance>/<subfolder>)
    subfolder: str
    max_key: str  # config key of the per-file limit in bytes
    max_default: int = 10 * 1024 * 1024
    decode_images: bool = False
    field: str = "file"

    def max_bytes(self) -> int:
        return int(current_app.config.get(self.max_key) or self.max_default)

    def folder(self) -> Path:
        configured = current_app.config.get(self.dir_key)
        return Path(configured) if configured else Path(current_app.instance_path) / self.subfolder

    def read(self, storage) -> Upload:
        return Upload.from_storage(storage, self.max_bytes())

    def check(self, upload: Upload) -> tuple[str, str]:
        """:raises DomainError: empty, too large, or not a PNG, JPEG or PDF by content."""
        if not upload.data:
            raise DomainError(_("The file is empty."), field=self.field)
        limit = self.max_bytes()
        if len(upload.data) > limit:
            raise DomainError(too_large_message(limit), field=self.field)
        kind = sniff(upload.data)
        if kind is None:
            raise DomainError(
                _("Only PNG or JPEG photos and PDF files are accepted."), field=self.field
            )
        if self.decode_images and not self._decodes(upload.data, kind[0]):
            raise DomainError(
                _("The image is damaged or not really a PNG or JPEG file."), field=self.field
            )
        return kind

    @staticmethod
    def _decodes(data: bytes, mime: str) -> bool:
        return mime not in IMAGE_MIMES or image_decodes(data, mime)

    def store(self, upload: Upload) -> Stored:
        """Check and write the file (once per content: the name is its hash), atomically."""
        return self.write(upload, *self.check(upload))

    def write(self, upload: Upload, mime: str, ext: str) -> Stored:
        """Write a file `check` has passed (as `mime`, `ext`)."""
        digest = hashlib.sha256(upload.data).hexdigest()
        relative = f"{digest}.{ext}"
        target = self.folder() / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(upload.data)
            os.replace(partial, target)
        return Stored(relative, clean_name(upload.filename), mime, len(upload.data), digest)

    def path_of(self, stored_path: str) -> Path:
        """The file on disk; refuses any stored name that would leave the folder."""
        root = self.folder().resolve()
        path = (root / stored_path).resolve()
        if path.parent != root:
            raise ValueError(f"stored path outside its folder: {stored_path!r}")
        return path


def too_large_message(limit: int) -> str:
    return _("The file is larger than %(mb)s MB.", mb=round(limit / 1024 / 1024, 1))


def allow_larger_bodies(state, limits: dict[str, Callable[[], int]]) -> None:
    """For a blueprint's `record_once`: the upload endpoints named get their own request
    size limit (the app keeps its small one elsewhere). The hook runs first, before the
    app-wide CSRF check reads the form."""

    def raise_limit():
        size = limits.get(request.endpoint or "")
        if size is not None:
            request.max_content_length = size()

    state.app.before_request_funcs.setdefault(None, []).insert(0, raise_limit)


def nonempty(storages: Iterable) -> list:
    """The file inputs that carry a file (browsers send an empty part for none)."""
    return [s for s in storages or [] if s and getattr(s, "filename", "")]


def serve_stored(path: Path, mime: str, name: str):
    """A stored upload, sent only after its service checked who asks: under its own name,
    never sniffed or run by the browser, never kept by a shared cache."""
    response = send_file(path, mimetype=mime, download_name=name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
