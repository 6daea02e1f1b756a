"""The facilitator's pages: log in, create, configure, share and moderate consultations."""

from consult.facilitation import (  # noqa: F401 -- their routes join the blueprint
    account_views,
    integrity_views,
    moderation_views,
    opening_views,
    outcome_views,
    question_views,
    segment_views,
)
from consult.facilitation.views import bp

__all__ = ["bp"]
