"""Credit evidence files: the shared upload rules of market.uploads (PNG, JPEG or PDF by
content, size-limited), stored outside the web root under <instance>/credit_evidence/
named by their SHA-256, and read back only through a service that checked who asks."""

from market.uploads import MAGIC, FileStore, Stored, Upload, clean_name, sniff

__all__ = ["MAGIC", "Stored", "Upload", "check", "clean_name", "folder", "max_bytes", "sniff"]

MAX_BYTES_DEFAULT = 10 * 1024 * 1024
STORE = FileStore(
    dir_key="CREDIT_EVIDENCE_DIR",
    subfolder="credit_evidence",
    max_key="CREDIT_EVIDENCE_MAX_BYTES",
    max_default=MAX_BYTES_DEFAULT,
)

max_bytes = STORE.max_bytes
folder = STORE.folder
check = STORE.check
store = STORE.store
path_of = STORE.path_of


def upload_of(storage) -> Upload:
    """From a werkzeug FileStorage, reading at most one byte past the limit."""
    return STORE.read(storage)
