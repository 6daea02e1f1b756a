"""The JSON API under /api/v1, described by /api/v1/openapi.json."""

from consult.api import outcome_views  # noqa: F401 -- its routes join the blueprint
from consult.api.query_parameters import refuse_unknown_query_parameters
from consult.api.views import bp

bp.before_request(refuse_unknown_query_parameters)

__all__ = ["bp"]
