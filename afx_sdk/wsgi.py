"""The request target as it arrived, for whoever verifies an RFC 9421 signature under WSGI.

A signature covers the path and query exactly as sent (`%2A` is not `*`), but WSGI hands an
application the decoded path. Servers that keep the raw target pass it as `RAW_URI`
(gunicorn, and `RawTargetRequestHandler` for the standard library's server and, through the
gateway's `runserver`, Django's); without it the decoded path is escaped again, which is right
for every path whose escapes are the canonical ones. Both the push receiver and the gateway
read the target here, so both verify the same bytes the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from wsgiref.simple_server import WSGIRequestHandler
from wsgiref.types import WSGIEnvironment

# What a path keeps unescaped: Django's `escape_uri_path` set, the RFC 3986 canonical form.
PATH_SAFE = "/:@&+$,!~*'()"
ABSOLUTE_FORM = ("http://", "https://")


def request_target(environ: Mapping[str, Any], *, decoded_path: str | None = None) -> str:
    """The path and query as the client sent them, in origin form (`/path?query`).

    A target in absolute form (`http://host/path`, as sent to a proxy) is reduced to its path
    and query; only a target starting with `http://` or `https://` is one, so a path holding
    `://` (`/x://y/...`) stays a path. Without a raw target, the path is escaped again: the
    WSGI one, or `decoded_path` when a framework has replaced it with its own decoded text
    (Django's `request.path`, whose `META` is no longer the server's).
    """
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        raw = str(raw)
        if raw[:8].lower().startswith(ABSOLUTE_FORM):
            parts = urlsplit(raw)
            return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return raw
    if decoded_path is not None:
        path = decoded_path.encode()
    else:  # WSGI decodes the path to bytes-as-latin-1; escape those bytes, not their UTF-8.
        path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1", "replace")
    query = environ.get("QUERY_STRING", "")
    return quote(path, safe=PATH_SAFE) + (f"?{query}" if query else "")


def request_url(environ: Mapping[str, Any]) -> str:
    """The absolute URL a signature covers: scheme, Host as sent, and the raw target."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}{request_target(environ)}"


def target_path(target: str) -> str:
    """The decoded path of a raw target, to compare with the path a router matched.

    Invalid UTF-8 decodes to U+FFFD, while Django keeps such bytes escaped: such a path
    never compares equal, and is refused.
    """
    return unquote(target.split("?", 1)[0])


class RawTargetRequestHandler(WSGIRequestHandler):
    """Passes the raw request target as `RAW_URI`, as gunicorn does. Django's development
    handler subclasses the same base, so the gateway's `runserver` mixes this one in."""

    def get_environ(self) -> WSGIEnvironment:
        environ = super().get_environ()
        environ["RAW_URI"] = self.path
        return environ
