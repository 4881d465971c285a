"""Audit events for refused requests: bounded in size, never holding what the caller typed.

A path may hold anything a caller sends (a phone number in `/people/<username>/`, 9,000
characters of junk), so a denial names the route the path matched (its pattern, such as
`api/v1/people/<str:username>/`), never the path itself; a path no route matched is named by
a keyed digest and its length. Anonymous callers can be refused without limit, so their
denials are recorded up to the `anonymous_denials` rate per address; past it, one event
says that recording stopped, and the next recorded denial from that address carries the
number left out. The counters live in the cache: losing one only means more rows, never fewer.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.crypto import salted_hmac
from rest_framework.throttling import SimpleRateThrottle

from audit.choices import AuditAction, Outcome
from audit.services import event_record

logger = logging.getLogger(__name__)

KNOWN_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
PATH_DIGEST_SALT = "afx.api.denials.path"
SUPPRESSED_COUNT_SECONDS = 24 * 3600


def request_route(request: Any) -> dict[str, object]:
    """The route the request matched; for an unmatched path, a keyed digest and the length.

    The digest is an HMAC under the project's secret key: repeated probes of one path can be
    told apart from others, but a short path (a phone number) cannot be found by trying them all.
    """
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return {"route": match.route}
    path = request.path
    return {"path_digest": salted_hmac(PATH_DIGEST_SALT, path).hexdigest()[:16], "path_length": len(path)}


def request_method(request: Any) -> str:
    """The method, or `OTHER`: a method is any token the caller likes."""
    return request.method if request.method in KNOWN_METHODS else "OTHER"


class AnonymousDenialThrottle(SimpleRateThrottle):
    """How many anonymous denials per address are recorded (`anonymous_denials` rate)."""

    scope = "anonymous_denials"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def suppressed_key(self, request: Any) -> str:
        return self.get_cache_key(request, None) + ":suppressed"


REQUEST_USER = object()  # `denial_record`'s default actor: whoever the request authenticated as


def denial_record(
    *,
    request: Any,
    details: dict[str, object],
    action: AuditAction = AuditAction.REQUEST_DENIED,
    actor: Any = REQUEST_USER,
    target_type: str = "",
    target_id: str = "",
    case_id: str = "",
) -> None:
    """Record a refused request: who, which route, what was answered (`details`).

    The one way every refusal is recorded, so all carry the method and route and all
    anonymous ones share the budget. `actor` is `request.user` unless given: authentication
    passes it (None when nothing verified), as `request.user` is what it is establishing.
    """
    if actor is REQUEST_USER:
        actor = getattr(request, "user", None)
    authenticated = bool(getattr(actor, "is_authenticated", False))
    details = {"method": request_method(request), **request_route(request), **details}
    if not authenticated:
        counted = anonymous_denial_details(request)
        if counted is None:
            return
        details.update(counted)
    event_record(
        actor=actor if authenticated else None,
        action=action,
        outcome=Outcome.DENIED,
        target_type=target_type,
        target_id=target_id,
        case_id=case_id,
        details=details,
    )


def anonymous_denial_details(request: Any) -> dict[str, object] | None:
    """Extra details for an anonymous denial within the rate, or None to leave it out.

    One budget per address for every kind of anonymous refusal (denied requests, signatures
    that did not verify). The first denial past the rate is recorded, marked
    `recording_suspended`; the ones after it are counted, and the count goes into the next
    denial recorded for that address. Without a working cache the denial is recorded: the
    budget only saves rows, and a refusal must never become a 500.
    """
    try:
        return _budget(request)
    except Exception:  # any cache backend's failure (a missing table, Redis away)
        logger.warning("No cache for the anonymous denial budget; recording the denial.", exc_info=True)
        return {}


def _budget(request: Any) -> dict[str, object] | None:
    throttle = AnonymousDenialThrottle()
    key = throttle.suppressed_key(request)
    if throttle.allow_request(request, None):  # type: ignore[arg-type]  # the rate is per address, not per view
        left_out = throttle.cache.get(key)
        if left_out is None:
            return {}
        throttle.cache.delete(key)
        return {"denials_left_out": int(left_out)} if left_out else {}
    if throttle.cache.add(key, 0, SUPPRESSED_COUNT_SECONDS):
        return {"recording_suspended": True}
    try:
        throttle.cache.incr(key)
    except ValueError:  # the counter expired in between: count afresh
        throttle.cache.add(key, 1, SUPPRESSED_COUNT_SECONDS)
    return None
