"""The public verification token: unguessable, and checked for shape before any query. Pure."""

import re
import secrets

TOKEN_BYTES = 32  # 256 bits: no one can enumerate manifests by guessing
TOKEN_LENGTH = 43  # token_urlsafe(32) is 43 characters of base64url without padding
_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def new_verify_token() -> str:
    """A fresh token for a manifest's public verification URL."""
    return secrets.token_urlsafe(TOKEN_BYTES)  # 43 characters: fits the String(43) column


def looks_like_token(value: object) -> bool:
    """Whether `value` could be a token at all; anything else is refused without a query."""
    return isinstance(value, str) and _SHAPE.fullmatch(value) is not None
