"""The versioned JSON API (/api/v1) and its OpenAPI description."""

from market.api.views import bp

__all__ = ["bp"]
