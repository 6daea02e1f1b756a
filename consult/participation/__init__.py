"""The citizen's pages: read a consultation, vote, change a vote, add a statement, and see,
download or erase their own data."""

from consult.participation import (
    data_views,  # noqa: F401 -- its routes join the blueprint
    expired_session,  # noqa: F401 -- its handler joins it too
    question_views,  # noqa: F401 -- its routes join the blueprint
    slow_down,  # noqa: F401 -- and this one
)
from consult.participation.views import bp

__all__ = ["bp"]
