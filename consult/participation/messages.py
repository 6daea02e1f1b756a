"""What the citizen's pages say when something is refused: words for people, saying what
happened and what to do. The API keeps its precise codes and messages for programs."""

from __future__ import annotations

from flask_babel import gettext as _

from consult.locale_format import number
from consult.services.errors import InvalidInput, ServiceError


def statement_refusal(error: ServiceError, text: str, max_length: int) -> str:
    """The page's message for a refused statement, given what the person typed."""
    if not isinstance(error, InvalidInput) or error.details.get("field") != "text":
        return error.message  # the services' other refusals are already written for people
    length = len(text)
    if length > max_length:
        return _(
            "Your statement is %(length)s characters long; the limit is %(limit)s. "
            "Please shorten it: nothing was cut or sent.",
            length=number(length),
            limit=number(max_length),
        )
    if not text.strip():
        return _("Write your statement in the box first.")
    return error.message
