"""The JSON API under /api/v1, described by /api/v1/openapi.json."""

from consult.api import (  # noqa: F401 -- their routes join the blueprint
    outcome_views,
    participant_views,
    question_views,
    segment_views,
    who_took_part_views,
)
from consult.api.query_parameters import refuse_unknown_query_parameters
from consult.api.views import bp

bp.before_request(refuse_unknown_query_parameters)

__all__ = ["bp"]
