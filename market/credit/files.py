"""Evidence files: checked by content (PNG, JPEG or PDF magic bytes, whatever the name or
the browser's claimed type says) and size, stored outside the web root under
<instance>/credit_evidence/ named by their SHA-256, and read back only through a service
that checked who asks. Licence documents use the same checks in their own folder (`root`)."""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from market.errors import DomainError

MAX_BYTES_DEFAULT = 10 * 1024 * 1024
MAGIC = (  # (prefix, mime, extension)
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"%PDF-", "application/pdf", "pdf"),
)
MAX_NAME = 200


@dataclass(frozen=True)
class Upload:
    """What the web or API layer hands over: the client's file name and the bytes."""

    filename: str
    data: bytes

    @classmethod
    def from_storage(cls, storage, limit: int | None = None) -> "Upload":
        """From a werkzeug FileStorage, reading at most one byte past the limit."""
        most = (limit or max_bytes()) + 1
        return cls(storage.filename or "", storage.stream.read(most))


@dataclass(frozen=True)
class Stored:
    stored_path: str
    original_name: str
    mime: str
    size_bytes: int
    sha256: str


def max_bytes() -> int:
    return int(current_app.config.get("CREDIT_EVIDENCE_MAX_BYTES", MAX_BYTES_DEFAULT))


def folder() -> Path:
    configured = current_app.config.get("CREDIT_EVIDENCE_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "credit_evidence"


def sniff(data: bytes) -> tuple[str, str] | None:
    """(mime, extension) by the file's first bytes, or None for anything else."""
    for prefix, mime, ext in MAGIC:
        if data.startswith(prefix):
            return mime, ext
    return None


def check(upload: Upload) -> tuple[str, str]:
    """:raises DomainError: empty, too large, or not a PNG, JPEG or PDF by content."""
    if not upload.data:
        raise DomainError(_("The file is empty."), field="file")
    limit = max_bytes()
    if len(upload.data) > limit:
        raise DomainError(
            _("The file is larger than %(mb)s MB.", mb=round(limit / 1024 / 1024, 1)),
            field="file",
        )
    kind = sniff(upload.data)
    if kind is None:
        raise DomainError(_("Only PNG or JPEG photos and PDF files are accepted."), field="file")
    return kind


def clean_name(name: str) -> str:
    """The client's name, kept only to show: no path, no control characters, shortened."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable()).strip() or "file"
    return base[-MAX_NAME:]


def store(upload: Upload, root: Path | None = None) -> Stored:
    """Check and write the file (once per content: the name is its hash), atomically, in
    `root` (the evidence folder unless given)."""
    mime, ext = check(upload)
    digest = hashlib.sha256(upload.data).hexdigest()
    relative = f"{digest}.{ext}"
    target = (root or folder()) / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(upload.data)
        os.replace(partial, target)
    return Stored(relative, clean_name(upload.filename), mime, len(upload.data), digest)


def path_of(stored_path: str, root: Path | None = None) -> Path:
    """The file on disk; refuses any stored name that would leave the folder."""
    root = (root or folder()).resolve()
    path = (root / stored_path).resolve()
    if path.parent != root:
        raise ValueError(f"evidence path outside its folder: {stored_path!r}")
    return path
