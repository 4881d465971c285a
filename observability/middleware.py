"""Binds each request's log context, for the lines written after the middleware returned."""

from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse

from .logs import actor_fields


class LogContextMiddleware:
    """Starts every request with a clean log context and ends it with the request's actor.

    Django writes the line of a refused request ("Bad Request: ...") after the whole chain
    has returned, when the request being served is no longer known; what is bound here
    stays in this thread's context until its next request clears it, so that line still
    names who was refused.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**actor_fields(request))
        response = self.get_response(request)
        structlog.contextvars.bind_contextvars(**actor_fields(request))
        return response
