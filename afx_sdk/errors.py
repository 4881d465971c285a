"""Typed errors for the gateway's answers, so an adapter branches on a class, not on a status code.

Every gateway error body has the shape `{"error": {"code", "message", "fields"}}`; the code is
the stable part, so the classes are chosen by code first and by HTTP status only as a fallback.
"""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """The gateway refused a request, or could not be reached (`status` is then None)."""

    def __init__(
        self, message: str, *, code: str, status: int | None = None, fields: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.fields = fields or {}

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else "no response"
        return f"{self.code} ({where}): {self.message}"


class GatewayUnavailable(GatewayError):
    """The gateway is down, overloaded or unreachable: worth retrying after a pause."""


class AnswerConflict(GatewayError):
    """The query already holds a different answer; the gateway keeps the first one."""


class QueryClosed(GatewayError):
    """The query expired or was closed before this answer arrived."""


ERRORS_BY_CODE: dict[str, type[GatewayError]] = {
    "answer_conflict": AnswerConflict,
    "query_closed": QueryClosed,
}


def error_for(*, status: int, code: str, message: str, fields: dict[str, Any]) -> GatewayError:
    """The error class for one gateway error response."""
    fallback = GatewayUnavailable if status >= 500 or status == 429 else GatewayError
    return ERRORS_BY_CODE.get(code, fallback)(message, code=code, status=status, fields=fields)
