"""`/metrics` for a Prometheus scraper holding `AFX_METRICS_TOKEN`, and nobody else.

Without a configured token the endpoint does not exist (404); without the token, or with
another, it is 401. Its errors are the API's one error shape, handed in by the URL conf
(`metrics_view(api.errors.json_error_view)`), since the API layer sits above this one.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from .collectors import DATABASE_COLLECTOR

ErrorView = Callable[[int, str, str], Callable[[HttpRequest], HttpResponse]]


def _registry() -> CollectorRegistry:
    """The default registry, or, with several processes, theirs merged and the database's."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(DATABASE_COLLECTOR)
    return registry


def bearer_token_matches(request: HttpRequest, token: str) -> bool:
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    # Compared in constant time, as bytes: compare_digest refuses non-ASCII text.
    return scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode())


def metrics_view(error_view: ErrorView) -> Callable[[HttpRequest], HttpResponse]:
    """The `/metrics` view, answering its refusals with `error_view(status, code, message)`."""

    def view(request: HttpRequest) -> HttpResponse:
        token = settings.AFX_METRICS_TOKEN
        if not token:
            return error_view(404, "not_found", "Not found.")(request)
        if not bearer_token_matches(request, token):
            response = error_view(401, "not_authenticated", "A valid metrics token is required.")(request)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        if request.method != "GET":
            return error_view(405, "method_not_allowed", "This method is not allowed here.")(request)
        return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)

    return view
