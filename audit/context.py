"""Where the current request came from, for audit events written deep inside services.

The request id comes from django-guid; the source address is kept here by a middleware in
a context variable, so services need not be handed the request.
"""

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_source_address: ContextVar[str] = ContextVar("afx_source_address", default="")


def current_source_address() -> str:
    return _source_address.get()


class RequestContextMiddleware:
    """Keeps the client address of the request being served for the audit log.

    `REMOTE_ADDR` is the peer; behind a proxy, gunicorn's `--forwarded-allow-ips` makes it the
    client address, so AFX never trusts a client-supplied header itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _source_address.set(request.META.get("REMOTE_ADDR", ""))
        try:
            return self.get_response(request)
        finally:
            _source_address.reset(token)
