"""The facilitator's pages: log in, create, configure, share and moderate consultations."""

from consult.facilitation import outcome_views  # noqa: F401 -- its routes join the blueprint
from consult.facilitation.views import bp

__all__ = ["bp"]
