"""The facilitator's pages: log in, create, configure, share and moderate consultations."""

from consult.facilitation.views import bp

__all__ = ["bp"]
