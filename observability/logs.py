"""Log lines as structlog renders them: each carries the request id, the actor type and the
partner code, and nothing a caller sent.

Every logger of the project (Django's, Celery's, AFX's `logging.getLogger(__name__)`) goes
through `formatter(...)`, which adds the context and renders JSON in production or plain
text on a developer's console. Only the message, the logger, the level, the time and the
context are rendered: a record's extra attributes (Django attaches the request object) are
dropped, so no header, body or query string reaches a line.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import structlog
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject, empty
from django_guid import get_guid

from audit.choices import ActorType
from audit.context import current_request


def _authenticated_actor(request: Any) -> Any:
    """Whoever the request authenticated as so far, without authenticating it here.

    DRF puts its actor on the Django request once it has authenticated; before that (or off
    the API) `user` is the session middleware's lazy object, read only if already evaluated,
    as evaluating it would query the database from inside a log call.
    """
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        wrapped = user._wrapped  # type: ignore[attr-defined]
        return None if wrapped is empty else wrapped
    return user


def _partner_code(actor: Any) -> str | None:
    """The actor's partner code when it is already loaded (never a query from a log call)."""
    # A person (a model row) names its partner only if it was loaded with it; an adapter
    # principal's key is always loaded with its partner.
    state = getattr(actor, "_state", None)
    partner = state.fields_cache.get("partner") if state is not None else getattr(actor, "partner", None)
    return getattr(partner, "code", None) if partner is not None else None


def actor_fields(request: Any) -> dict[str, str]:
    """The actor type and, where there is one, the partner code of the request's actor so far."""
    actor = _authenticated_actor(request)
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor_type": ActorType.ANONYMOUS.value}
    kind = ActorType.ADAPTER if getattr(actor, "is_adapter", False) else ActorType.PERSON
    partner = _partner_code(actor)
    return {"actor_type": kind.value, **({"partner": partner} if partner else {})}


def add_context(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the request id, the actor type and, where there is one, the partner.

    Inside a request they are read as it is now (the actor is known once DRF authenticated
    it); after it (Django logs a refused request's line once the middleware has returned)
    they are what `LogContextMiddleware` bound at its end; outside any request, AFX itself
    (a task, a command) is acting.
    """
    event_dict["request_id"] = get_guid()
    request = current_request()
    if request is not None:
        event_dict.update(actor_fields(request))
    else:
        event_dict.setdefault("actor_type", ActorType.SYSTEM.value)
    return event_dict


def _status_phrase(status: Any) -> str:
    try:
        return HTTPStatus(int(status)).phrase
    except (TypeError, ValueError):
        return "Request"


def withhold_caller_text(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: Django's lines about a request or a statement, without what they quote.

    `django.request` and `django.security` write "Not Found: /api/v1/people/13800138000/",
    or a host header as typed, and runserver's `django.server` the request line with its
    query string: a path can hold a phone number and a query string an account. Such a line
    becomes its status phrase, with the method, the status and the route pattern (none for a
    path no route matched). `django.db.backends` (at DEBUG, with `DEBUG` on) writes each SQL
    statement with its parameters, a username or a search value among them: it keeps the
    duration and the database alias.
    """
    record = event_dict.get("_record")
    if record is None:
        return event_dict
    if record.name.startswith("django.db.backends"):
        event_dict["event"] = "SQL statement"
        event_dict.update(duration=getattr(record, "duration", None), alias=getattr(record, "alias", None))
        return event_dict
    if not record.name.startswith(("django.request", "django.security", "django.server")):
        return event_dict
    if record.name.startswith("django.security"):
        event_dict.pop("exc_info", None)  # its traceback ends in the same text as its message
    status = getattr(record, "status_code", None)
    event_dict["event"] = _status_phrase(status)
    if status is not None:
        event_dict["status"] = status
    request = getattr(record, "request", None)
    if isinstance(request, HttpRequest):
        event_dict["method"] = request.method
        match = request.resolver_match
        if match is not None:
            event_dict["route"] = match.route
    return event_dict


PRE_CHAIN: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    add_context,
    withhold_caller_text,
]


def formatter(*, json: bool) -> logging.Formatter:
    """The formatter of every handler: JSON lines, or key=value text for a console."""
    # The console renderer formats tracebacks itself; JSON needs them as one text field. A plain
    # traceback: the default (rich, with locals) took seconds per exception, holding the worker,
    # and would print the frames' local values, personal data among them.
    rendering: list[Any] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(sort_keys=True)]
        if json
        else [structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)]
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=PRE_CHAIN,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
    )
