"""The JSON API under /api/v1, described by /api/v1/openapi.json."""

from consult.api import outcome_views  # noqa: F401 -- its routes join the blueprint
from consult.api.views import bp

__all__ = ["bp"]
