"""The versioned JSON API (/api/v1) and its OpenAPI description."""

from market.api import trading  # noqa: F401  (registers the bid and deal routes)
from market.api.views import bp

__all__ = ["bp"]
