"""The citizen's pages: read a consultation, vote, change a vote, add a statement."""

from consult.participation.views import bp

__all__ = ["bp"]
