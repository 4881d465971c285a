"""One JSON error shape for every 4xx and 5xx: `{"error": {"code", "message", "fields"}}`.

Services raise the domain errors of `core.errors`, translated here to their HTTP status;
DRF's own exceptions, Django's 404 and permission errors and unexpected failures all leave
through `exception_handler` in the same shape.
Messages never echo submitted values, so no personal data reaches an error body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)

logger = logging.getLogger(__name__)


NOT_FOUND_MESSAGE = "Not found."

# The HTTP status of each kind of domain error; a subclass takes its nearest ancestor's.
DOMAIN_STATUS: dict[type[DomainError], int] = {
    Invalid: status.HTTP_400_BAD_REQUEST,
    Unauthenticated: status.HTTP_401_UNAUTHORIZED,
    Forbidden: status.HTTP_403_FORBIDDEN,
    NotFound: status.HTTP_404_NOT_FOUND,
    Conflict: status.HTTP_409_CONFLICT,
    Gone: status.HTTP_410_GONE,
    TooManyAttempts: status.HTTP_429_TOO_MANY_REQUESTS,
}


def domain_error_status(error: DomainError) -> int:
    return next(
        (DOMAIN_STATUS[kind] for kind in type(error).__mro__ if kind in DOMAIN_STATUS),
        status.HTTP_400_BAD_REQUEST,
    )


def error_body(code: str, message: str, fields: Any = None) -> dict[str, Any]:
    """The one error shape. Field errors, whoever made them (DRF, a service, a batch item),
    are reworded here, so no path can put a message quoting the input into a body."""
    return {"error": {"code": code, "message": message, "fields": _field_errors(fields) if fields else {}}}


def domain_error_body(error: DomainError) -> dict[str, Any]:
    return error_body(error.code, error.message, error.fields)


def _field_errors(detail: Any) -> dict[str, Any]:
    """DRF validation detail as `{field: [messages]}`; non-field errors under `non_field_errors`."""
    if isinstance(detail, dict):
        return {
            key: _field_errors(value) if isinstance(value, dict) else _messages(value)
            for key, value in detail.items()
        }
    return {"non_field_errors": _messages(detail)}


# DRF messages that quote the submitted value, by error code, said without it: what a caller
# sends may be personal data, and error bodies are logged and shown.
QUOTING_CODES = {
    "invalid_choice": "Not one of the allowed values.",
    "does_not_exist": "No such object.",
    "invalid_pk_value": "No such object.",
    "incorrect_type": "Of the wrong type.",
    "not_a_list": "Expected a list.",
    "not_a_dict": "Expected an object.",
    "method_not_allowed": "This method is not allowed here.",
    "unsupported_media_type": "This media type is not accepted; send application/json.",
}


def _message(item: Any) -> str:
    return QUOTING_CODES.get(str(getattr(item, "code", "")), str(item))


def _messages(detail: Any) -> Any:
    if isinstance(detail, list):
        return [_messages(item) if isinstance(item, (list, dict)) else _message(item) for item in detail]
    if isinstance(detail, dict):
        return _field_errors(detail)
    return [_message(detail)]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's exception handler: every error, expected or not, in the one shape."""
    request = context.get("request")
    if isinstance(exc, DomainError):
        response = Response(domain_error_body(exc), status=domain_error_status(exc))
    elif isinstance(exc, Http404 | exceptions.NotFound):
        response = Response(error_body("not_found", NOT_FOUND_MESSAGE), status=status.HTTP_404_NOT_FOUND)
    elif isinstance(exc, DjangoPermissionDenied):
        response = Response(
            error_body("permission_denied", "You may not do this."), status=status.HTTP_403_FORBIDDEN
        )
    elif isinstance(exc, exceptions.ValidationError):
        response = Response(
            error_body("invalid", "The request is not valid.", exc.detail),
            status=status.HTTP_400_BAD_REQUEST,
        )
    elif isinstance(exc, exceptions.ParseError):
        # The parser's own message may quote the bytes received.
        response = Response(error_body("parse_error", "The body is not valid JSON."), status=400)
    elif isinstance(exc, RequestDataTooBig):
        response = Response(error_body("too_large", "The request body is too large."), status=413)
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response = Response(
            error_body(
                codes if isinstance(codes, str) else exc.default_code,
                _message(exc.detail) if isinstance(exc.detail, str) else "The request was refused.",
            ),
            status=exc.status_code,
        )
        wait = getattr(exc, "wait", None)
        if wait is not None:
            response["Retry-After"] = str(int(wait))
        if (
            isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed)
            and request is not None
        ):
            header = context["view"].get_authenticate_header(request)
            if header:
                response["WWW-Authenticate"] = header
    else:
        logger.exception("Unhandled error in %s", context["view"].__class__.__name__)
        response = Response(
            error_body("server_error", "The server failed to handle this request."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    set_rollback()
    already_audited = getattr(exc, "audited", False)
    if request is not None and response.status_code in (401, 403, 429) and not already_audited:
        _record_denial(request, response)
    return response


def _record_denial(request: Any, response: Response) -> None:
    """Every refused request leaves an audit event (outside the rolled-back transaction)."""
    from audit.denials import denial_record

    error = response.data["error"]
    denial_record(request=request, details={"status": response.status_code, "code": error["code"]})


def json_error_view(status_code: int, code: str, message: str) -> Callable[..., JsonResponse]:
    """Django's handler404/handler500 etc. for non-API paths, in the same JSON shape."""

    def view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
        return JsonResponse(error_body(code, message), status=status_code)

    return view


def axes_lockout_response(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> JsonResponse:
    """django-axes' answer to a locked-out sign-in: 429 in the one error shape."""
    return JsonResponse(
        error_body("sign_in_locked", "Too many failed sign-ins; try again later."), status=429
    )
