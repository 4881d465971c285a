"""The push receiver: a WSGI app the gateway POSTs queries to, answering each in the response.

Every push carries the gateway's RFC 9421 signature (tag `afx-push`), made with the gateway's
own Ed25519 key; the receiver holds only the gateway's public key(s), from
`AFX_GATEWAY_PUBLIC_KEY` or `fetch_gateway_keys()`. Checks, in order: the signature is well
formed, created within 300 s of this clock and made by a gateway key over this very request
(method, host, raw path and query, body digest), and only then that the nonce is new (so
unsigned traffic cannot fill the nonce store). A push naming a key id the receiver does not
know makes it fetch the published keys again, at most once a minute, when it was given a
`key_fetcher`: the gateway's key rotation then needs no restart. Any refusal is a 401 in the error shape.
Any 5xx makes the gateway retry, so answers are replayed from an `AnswerCache`; and
no error response carries the handler's exception or the query's data.

It runs under any WSGI server; `serve()` runs it on the standard library's, threaded. The
default nonce store is this process's memory: a server with several worker processes must
pass a store they share (`nonces=SQLiteNonceStore(path)`, see `nonces`), or a push replayed
to another worker is accepted.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import signing
from .handler import AnswerCache, Handler
from .lifecycle import stop_on_signals
from .models import Answer, MalformedMessage, Query
from .nonces import MemoryNonceStore, NonceStore
from .wsgi import RawTargetRequestHandler, request_target, request_url

logger = logging.getLogger(__name__)

DEFAULT_PATH = "/afx/webhook"
# A signature is fresh until `created + 300 s` by this clock: its nonce is kept that long, plus
# a minute, so a replay is refused as replayed or as stale, never accepted.
NONCE_MARGIN_SECONDS = 60
KEY_REFETCH_SECONDS = 60  # at most one fetch of the gateway's keys a minute, however many pushes
MAX_BODY_BYTES = 1 << 20
CHALLENGE = 'Signature realm="webhook"'
SHUTDOWN_POLL_SECONDS = 0.1  # how soon a stop request is noticed by the serving thread


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
    """WSGI app for the webhook the gateway calls. `gateway_keys` maps the gateway's key ids to
    its public keys (`gateway_keys_from_text`, `fetch_gateway_keys`); `key_fetcher` (e.g.
    `lambda: fetch_gateway_keys(url)`) replaces them when a push names an unknown key id;
    `nonces` must be shared by all processes serving the webhook; `on_answer` sees every
    answer sent back."""

    def __init__(
        self,
        handler: Handler,
        *,
        gateway_keys: Mapping[str, Ed25519PublicKey],
        path: str = DEFAULT_PATH,
        answers: AnswerCache | None = None,
        nonces: NonceStore | None = None,
        key_fetcher: Callable[[], Mapping[str, Ed25519PublicKey]] | None = None,
        on_answer: Callable[[Query, Answer], None] | None = None,
    ) -> None:
        self.handler = handler
        self.gateway_keys = dict(gateway_keys)
        self.path = path
        self.answers = answers or AnswerCache()
        self.nonces = nonces if nonces is not None else MemoryNonceStore()
        self.on_answer = on_answer
        self._key_fetcher = key_fetcher
        self._keys_lock = threading.Lock()
        self._fetched_at = -float("inf")

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
        if request_target(environ).split("?", 1)[0] != self.path:
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
        self._authenticate(environ, body)
        try:
            return Query.from_json(json.loads(body))
        except MalformedMessage as error:  # names the field at fault, never its value
            raise _Refusal("400 Bad Request", "invalid_query", str(error)) from None
        except (ValueError, RecursionError):
            # A fixed message: the parser's text may quote the bytes it read. RecursionError is
            # what json raises on nesting deeper than the interpreter's stack allows.
            raise _Refusal("400 Bad Request", "invalid_query", "The body is not valid JSON.") from None

    def _authenticate(self, environ: WSGIEnvironment, body: bytes) -> None:
        headers = {
            name[5:].replace("_", "-"): value for name, value in environ.items() if name.startswith("HTTP_")
        }
        try:
            verified = signing.verify_request(
                method=environ["REQUEST_METHOD"],
                url=request_url(environ),
                headers=headers,
                body=body,
                resolve_key=self._gateway_key,
                tag=signing.PUSH_TAG,
            )
        except signing.SignatureError as error:
            raise _Refusal("401 Unauthorized", error.code, str(error)) from None
        expires_at = verified.created + signing.MAX_SKEW_SECONDS + NONCE_MARGIN_SECONDS
        if not self.nonces.add(f"{verified.key_id} {verified.nonce}", expires_at):
            raise _Refusal("401 Unauthorized", "signature_replayed", "This signature was already used.")

    def _gateway_key(self, key_id: str) -> Ed25519PublicKey | None:
        """The gateway's key of that id; for an unknown id, the published keys are fetched again
        first, at most once a minute (the signature's parameters were checked before this)."""
        key = self.gateway_keys.get(key_id)
        if key is not None or self._key_fetcher is None:
            return key
        with self._keys_lock:
            now = time.monotonic()
            if now - self._fetched_at >= KEY_REFETCH_SECONDS:
                self._fetched_at = now
                try:
                    self.gateway_keys = dict(self._key_fetcher())
                except Exception as error:  # the keys held so far stay in use
                    logger.warning("Could not fetch the gateway's keys: %s.", type(error).__name__)
        return self.gateway_keys.get(key_id)


def gateway_keys_from_text(text: str) -> dict[str, Ed25519PublicKey]:
    """The gateway's public keys from `AFX_GATEWAY_PUBLIC_KEY`: one or more, comma-separated
    (two during a rotation), each named by its fingerprint, as the gateway names it."""
    keys = [signing.load_public_key(part) for part in text.split(",") if part.strip()]
    return {signing.key_fingerprint(key): key for key in keys}


class _QuietHandler(RawTargetRequestHandler):
    """Request lines go to `logging` at debug level, not to stderr."""

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
