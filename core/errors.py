"""Domain errors: what a service refuses, by a stable code, without HTTP in sight.

Services raise them; `api.errors` translates each class to its HTTP status and the one
error shape, and the console will render the same codes. A message never quotes what the
caller sent: it may be personal data, and messages are logged and shown.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal a service can explain to its caller."""

    code = "invalid"
    # True when the service already wrote the audit event for this refusal.
    audited = False

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.fields = fields or {}


class Invalid(DomainError):
    """The input is wrong; `fields` says where."""

    code = "invalid"


class Unauthenticated(DomainError):
    """Who the caller claims to be was not proven (a wrong password, a bad signature)."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """The actor may see this object but not do this to it."""

    code = "permission_denied"


class NotFound(DomainError):
    """Missing, or out of the actor's scope: the same error for both, by design."""

    code = "not_found"


class Conflict(DomainError):
    """The object's state forbids the act (a closed case, a second different answer)."""

    code = "conflict"


class Gone(DomainError):
    """The object is closed for good for this act (an expired query takes no answer)."""

    code = "gone"


class TooManyAttempts(DomainError):
    """The actor must wait before trying again."""

    code = "too_many_attempts"
