"""The push receiver: a WSGI app the gateway POSTs queries to, answering each in the response.

Checks, in order: the key id is this adapter's, the timestamp is within 300 s, the signature
matches, and only then that the nonce is new (so unsigned traffic cannot fill the nonce
store). Any 5xx makes the gateway retry, so answers are replayed from an `AnswerCache`; and
no error response carries the handler's exception or the query's data.

It runs under any WSGI server; `serve()` runs it on the standard library's, threaded.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import quote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from . import signing
from .handler import AnswerCache, Handler
from .lifecycle import stop_on_signals
from .models import Answer, MalformedMessage, Query

logger = logging.getLogger(__name__)

DEFAULT_PATH = "/afx/webhook"
NONCE_TTL_SECONDS = 600
MAX_BODY_BYTES = 1 << 20
CHALLENGE = 'AFX-HMAC realm="webhook"'
SHUTDOWN_POLL_SECONDS = 0.1  # how soon a stop request is noticed by the serving thread


def key_id_from_api_key(api_key: str) -> str:
    """The key id the gateway signs webhooks with: the middle of `afx_<key_id>_<secret part>`."""
    parts = api_key.split("_", 2)
    if len(parts) != 3 or parts[0] != "afx" or not parts[1]:
        raise ValueError("An API key has the form afx_<key id>_<secret part>.")
    return parts[1]


class NonceStore:
    """Nonces seen in the last ten minutes. Past that, the timestamp check refuses a replay anyway."""

    def __init__(self, ttl: float = NONCE_TTL_SECONDS) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def add(self, nonce: str) -> bool:
        """Record a nonce; False if it was already seen."""
        now = time.monotonic()
        with self._lock:
            # Every entry lives equally long, so insertion order is expiry order.
            while self._expiry and next(iter(self._expiry.values())) <= now:
                self._expiry.popitem(last=False)
            if nonce in self._expiry:
                return False
            self._expiry[nonce] = now + self._ttl
            return True


class _Refusal(Exception):
    def __init__(self, status: str, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _json_response(
    start_response: StartResponse, status: str, payload: dict[str, Any], extra: Sequence[tuple[str, str]] = ()
) -> Iterable[bytes]:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *extra]
    start_response(status, headers)
    return [body]


def error_body(code: str, message: str) -> dict[str, Any]:
    """The error shape shared with the gateway: `{"error": {"code", "message", "fields"}}`."""
    return {"error": {"code": code, "message": message, "fields": {}}}


class PushReceiver:
    """WSGI app for the webhook the gateway calls. `on_answer` sees every answer sent back."""

    def __init__(
        self,
        handler: Handler,
        *,
        key_id: str,
        signing_secret: str,
        path: str = DEFAULT_PATH,
        answers: AnswerCache | None = None,
        nonces: NonceStore | None = None,
        on_answer: Callable[[Query, Answer], None] | None = None,
    ) -> None:
        self.handler = handler
        self.key_id = key_id
        self.signing_secret = signing_secret
        self.path = path
        self.answers = answers or AnswerCache()
        self.nonces = nonces or NonceStore()
        self.on_answer = on_answer

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            query = self._receive(environ)
        except _Refusal as refusal:
            challenge = [("WWW-Authenticate", CHALLENGE)] if refusal.status.startswith("401") else []
            body = error_body(refusal.code, refusal.message)
            return _json_response(start_response, refusal.status, body, challenge)
        try:
            answer = self.answers.answer(query, self.handler)
        except Exception as error:
            # The type only: an exception's text may quote the data the handler was reading.
            logger.error("Handler raised %s on query %s.", type(error).__name__, query.id)
            return _json_response(
                start_response,
                "500 Internal Server Error",
                error_body("adapter_error", "The adapter could not answer this query now."),
            )
        if self.on_answer is not None:
            self.on_answer(query, answer)
        return _json_response(start_response, "200 OK", answer.to_json())

    def _receive(self, environ: WSGIEnvironment) -> Query:
        path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
        if path != self.path:
            raise _Refusal("404 Not Found", "not_found", "There is no webhook here.")
        if environ["REQUEST_METHOD"] != "POST":
            raise _Refusal("405 Method Not Allowed", "method_not_allowed", "The webhook takes POST only.")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            raise _Refusal("413 Content Too Large", "body_too_large", "The body is too large.")
        body = environ["wsgi.input"].read(length)
        query_string = environ.get("QUERY_STRING", "")
        self._authenticate(environ, f"{path}?{query_string}" if query_string else path, body)
        try:
            return Query.from_json(json.loads(body))
        except (ValueError, MalformedMessage) as error:
            raise _Refusal("400 Bad Request", "invalid_query", str(error)) from None

    def _authenticate(self, environ: WSGIEnvironment, full_path: str, body: bytes) -> None:
        key, timestamp, nonce, provided = (
            environ.get("HTTP_" + name.upper().replace("-", "_"), "") for name in signing.SIGNED_HEADERS
        )
        try:
            if not (key and timestamp and nonce and provided):
                raise signing.MissingSignature("The request lacks a signature header.")
            if key != self.key_id:
                raise signing.BadSignature("The request is signed with another key.")
            signing.verify(
                secret=self.signing_secret,
                method=environ["REQUEST_METHOD"],
                path=full_path,
                body=body,
                timestamp=timestamp,
                nonce=nonce,
                provided=provided,
            )
        except signing.SignatureError as error:
            raise _Refusal("401 Unauthorized", error.code, str(error)) from None
        if not self.nonces.add(nonce):
            raise _Refusal("401 Unauthorized", "signature_replayed", "This nonce was already used.")


class _QuietHandler(WSGIRequestHandler):
    """Request lines go to `logging` at debug level instead of stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """The standard library's WSGI server, one thread per connection, so a slow handler blocks no one."""

    daemon_threads = True


def serve(
    app: WSGIApplication,
    host: str = "127.0.0.1",
    port: int = 8101,
    *,
    stop: threading.Event | None = None,
    on_ready: Callable[[int], None] | None = None,
) -> None:
    """Serve `app` until `stop` is set, or until SIGTERM/SIGINT when no event is given.

    `on_ready` gets the bound port once the socket listens (port 0 picks a free one). Requests
    in progress when `stop` is set still complete; new connections are no longer accepted.
    """
    stop = stop if stop is not None else stop_on_signals()
    server = make_server(host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    # `shutdown()` must come from another thread than `serve_forever()`, and signal handlers run
    # on the main thread: so the server loop gets its own thread and this one waits for `stop`.
    loop = threading.Thread(
        target=server.serve_forever, args=(SHUTDOWN_POLL_SECONDS,), name="afx-push-server", daemon=True
    )
    loop.start()
    logger.info("Push receiver listening on http://%s:%s", host, server.server_port)
    try:
        if on_ready is not None:
            on_ready(server.server_port)
        stop.wait()
    finally:
        server.shutdown()
        loop.join()
        server.server_close()
