"""Audit events for refused requests: bounded in size, never holding what the caller typed.

A path may hold anything a caller sends (a phone number in `/people/<username>/`, 9,000
characters of junk), so a denial names the route the path matched (its pattern, such as
`api/v1/people/<str:username>/`), never the path itself; a path no route matched is named by
a keyed digest and its length. Anonymous callers can be refused without limit, so their
denials are recorded up to the `anonymous_denials` rate per address; past it, one event
says that recording stopped, and the next recorded denial from that address carries the
number left out. A refusal attributed to an adapter key that cannot be used any more (a
valid signature by a revoked key) is as unlimited in the hands of whoever holds that key,
so it has the same kind of budget per key (`revoked_key_denials`). The counters live in
the cache: losing one only means more rows, never fewer.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.crypto import salted_hmac
from rest_framework.throttling import SimpleRateThrottle

from core.actors import SystemActor

from .choices import AuditAction, Outcome
from .context import current_request
from .services import event_record

logger = logging.getLogger(__name__)

KNOWN_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
PATH_DIGEST_SALT = "afx.audit.denials.path"
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


class RevokedKeyDenialThrottle(AnonymousDenialThrottle):
    """How many refusals of one revoked adapter key are recorded (`revoked_key_denials` rate).

    Per key, not per address: the holder of a leaked key can send from anywhere.
    """

    scope = "revoked_key_denials"

    def __init__(self, key_id: str) -> None:
        super().__init__()
        self.key_id = key_id

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.key_id}


REQUEST_USER = object()  # `denial_record`'s default actor: whoever the request authenticated as


def denial_record(
    *,
    details: dict[str, object],
    request: Any = None,
    action: str = AuditAction.REQUEST_DENIED,
    actor: Any = REQUEST_USER,
    target_type: str = "",
    target_id: str = "",
    case_id: str = "",
    revoked_key_id: str = "",
) -> None:
    """Record a refused request: who, which route, what was answered (`details`).

    Refused requests are recorded here (by the API's error handler, the access layer of
    each app, signature checks, enrolment), so they carry the method and route and the anonymous ones
    share the budget of their address. Failed password checks (sign-ins, the current password
    of a password change) are the exception: `partners.signals` records them, as Django's
    auth signals are the one place all of them pass, bounded by their throttles and the
    lockout rather than a budget. `actor` is `request.user` unless given: authentication
    passes it (None when nothing verified), as `request.user` is what it is establishing.
    An actor that is a revoked adapter key is named in `revoked_key_id`, whose budget it uses.
    `request` is the one being served (`audit.context`) unless given; a refusal outside any
    request (a task, a command) is recorded without method and route, and without a budget.
    """
    request = request if request is not None else current_request()
    if actor is REQUEST_USER:
        actor = getattr(request, "user", None)
    authenticated = bool(getattr(actor, "is_authenticated", False)) or isinstance(actor, SystemActor)
    if request is not None:
        details = {"method": request_method(request), **request_route(request), **details}
    if request is not None and (not authenticated or revoked_key_id):
        budget = RevokedKeyDenialThrottle(revoked_key_id) if authenticated else AnonymousDenialThrottle()
        counted = budgeted_denial_details(request, budget)
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


def budgeted_denial_details(request: Any, budget: AnonymousDenialThrottle) -> dict[str, object] | None:
    """Extra details for a denial within `budget`'s rate, or None to leave it out.

    One budget per address for every kind of anonymous refusal (denied requests, signatures
    that did not verify), one per revoked key for that key's refusals. The first denial past
    the rate is recorded, marked `recording_suspended`; the ones after it are counted, and
    the count goes into the next denial recorded within that budget. Without a working cache
    the denial is recorded: the budget only saves rows, and a refusal must never become a 500.
    """
    try:
        return _budget(request, budget)
    except Exception:  # any cache backend's failure (a missing table, Redis away)
        logger.warning("No cache for the denial budget; recording the denial.", exc_info=True)
        return {}


def _budget(request: Any, throttle: AnonymousDenialThrottle) -> dict[str, object] | None:
    key = throttle.suppressed_key(request)
    if throttle.allow_request(request, None):  # type: ignore[arg-type]  # the rate is per budget, not per view
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
