"""Domain errors that services raise; `api.errors.exception_handler` renders them.

Kept apart from the handler so that services import it without importing DRF's views.
"""

from typing import Any

from rest_framework import status


class DomainError(Exception):
    """A refusal a service can explain to the caller."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code = "invalid"
    # True when the service already wrote the audit event for this refusal.
    audited = False

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.fields = fields or {}


class Invalid(DomainError):
    code = "invalid"


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"


class NotFound(DomainError):
    """Also what an out-of-scope object gets: the same body as a missing one."""

    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
