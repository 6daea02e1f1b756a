"""Typed errors raised by services; consult.errors maps each to an HTTP status."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A request that cannot be carried out because of what the caller sent or may do."""

    status = 400
    code = "bad_request"
    # In a batch (seed statements): the refused item's place in it, from 0.
    place: int | None = None

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(ServiceError):
    status = 400
    code = "invalid_input"


class Unauthenticated(ServiceError):
    status = 401
    code = "unauthenticated"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class InvalidXid(Forbidden):
    """An xid without Consult's signature: anyone could have typed it."""

    code = "invalid_xid"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class IdempotencyKeyReused(ServiceError):
    """One Idempotency-Key, two different requests: the client has a bug, not a retry."""

    status = 422
    code = "idempotency_key_reused"


class StatementWithdrawn(Conflict):
    """A vote on a statement the moderators rejected (perhaps while it was on screen). The
    API's code stays "conflict", as documented; the citizen's page moves on to the next."""


class ConsultationClosed(Conflict):
    code = "consultation_closed"


class DuplicateStatement(Conflict):
    code = "duplicate_statement"


class SimilarStatement(Conflict):
    """Not a refusal: the caller may send the statement again with add_anyway."""

    code = "similar_statement"
