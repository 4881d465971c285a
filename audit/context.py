"""The request being served, for audit events written deep inside services.

The request id comes from django-guid; the request itself (its source address, method and
route, whoever it authenticated as) is kept here by a middleware in a context variable, so
services need not be handed the request. Outside a request (a task, a command) there is none.
"""

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_request: ContextVar[HttpRequest | None] = ContextVar("afx_request", default=None)


def current_request() -> HttpRequest | None:
    return _request.get()


def current_source_address() -> str:
    request = _request.get()
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


class RequestContextMiddleware:
    """Keeps the request being served for the audit log (its client address, route, method).

    `REMOTE_ADDR` is the peer; behind a proxy, gunicorn's `--forwarded-allow-ips` makes it the
    client address, so AFX never trusts a client-supplied header itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
