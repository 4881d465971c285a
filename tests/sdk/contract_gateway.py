"""CONTRACT FIXTURE: a stand-in for the gateway's adapter endpoints, over real HTTP on 127.0.0.1.

It implements the wire contract's adapter side minimally (RFC 9421 signed requests, verified
with `afx_sdk.signing` against the adapter's public key over the raw request target, the long-polled
inbox, idempotent answers with 409/404/410, `me`, and the watchlist check from `watchlist`) so
that the SDK's client and pull loop can be tested before the real endpoints exist. It has no
leases, no database and no deadlines: tests re-deliver a query by enqueueing it again, and
close one with `close()`. Faults are queued with `fail_next()`: an HTTP status (with a JSON
error body), "proxy" for a 502 HTML page, or "drop" to close the connection without a response.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from afx_sdk import signing

ANSWER_PATH = re.compile(r"^/api/v1/adapter/queries/(?P<id>[^/]+)/answer/$")


class ContractGateway:
    def __init__(
        self,
        *,
        key_id: str,
        public_key: Ed25519PublicKey,
        published: list[dict[str, str]] | None = None,
        partner: str = "paylink",
    ) -> None:
        self.keys = {key_id: public_key}
        self.published = published or []  # what `GET /api/v1/signing-keys/` lists, unsigned
        self.partner = partner
        self.changed = threading.Condition()
        self.queued: deque[dict[str, Any]] = deque()
        self.known: set[str] = set()
        self.closed: set[str] = set()
        self.answers: dict[str, dict[str, Any]] = {}
        self.answer_posts: list[str] = []
        self.inbox_times: list[float] = []
        self.faults: deque[int | str] = deque()
        self.answer_faults: deque[int] = deque()
        self.nonces: set[str] = set()
        # The watchlist the check answers from: (kind, value) -> the restriction asked.
        self.watchlist: dict[tuple[str, str], str] = {}
        self.checks: list[list[dict[str, str]]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> ContractGateway:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def enqueue(self, *queries: dict[str, Any]) -> None:
        with self.changed:
            for query in queries:
                self.known.add(query["id"])
                self.queued.append(query)
            self.changed.notify_all()

    def close(self, query_id: str) -> None:
        self.known.add(query_id)
        self.closed.add(query_id)

    def fail_next(self, *faults: int | str) -> None:
        """Spoil the next requests, whatever they are."""
        self.faults.extend(faults)

    def fail_next_answers(self, *statuses: int) -> None:
        """Spoil the next answer posts only, when inbox polls are running alongside."""
        self.answer_faults.extend(statuses)

    def wait_for_answers(self, *query_ids: str, timeout: float = 10.0) -> dict[str, dict[str, Any]]:
        """The answers held, once every one of these queries has one."""
        with self.changed:
            assert self.changed.wait_for(lambda: set(query_ids) <= self.answers.keys(), timeout), self.answers
            return dict(self.answers)


def _handler_for(gateway: ContractGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

        def do_GET(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def _dispatch(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            url = urlsplit(self.path)
            if url.path == "/api/v1/adapter/inbox/":
                gateway.inbox_times.append(time.monotonic())
            fault = gateway.faults.popleft() if gateway.faults else None
            if fault == "drop":
                self.close_connection = True
                return
            if fault == "proxy":
                self.send_error(502, "Bad Gateway")  # an HTML page, as a proxy in front of it would send
                return
            if isinstance(fault, int):
                self._reply(fault, {"error": {"code": "unavailable", "message": "Injected.", "fields": {}}})
                return
            if self.command == "GET" and url.path == "/api/v1/signing-keys/":
                self._reply(200, gateway.published)
                return
            try:
                self._verify(body)
            except signing.SignatureError as error:
                self._reply(401, {"error": {"code": error.code, "message": str(error), "fields": {}}})
                return
            answer = ANSWER_PATH.match(url.path)
            if self.command == "GET" and url.path == "/api/v1/adapter/inbox/":
                self._inbox({key: values[0] for key, values in parse_qs(url.query).items()})
            elif self.command == "GET" and url.path == "/api/v1/adapter/me/":
                self._reply(200, {"partner": {"code": gateway.partner}, "identity": "adapter"})
            elif self.command == "POST" and url.path == "/api/v1/watchlist/check/":
                self._check(json.loads(body))
            elif self.command == "POST" and answer:
                self._answer(answer["id"], json.loads(body))
            else:
                self._reply(404, {"error": {"code": "not_found", "message": "No such page.", "fields": {}}})

        def _verify(self, body: bytes) -> None:
            verified = signing.verify_request(
                method=self.command,
                # the raw request target: path and query string as sent
                url=f"http://{self.headers.get('Host', '')}{self.path}",
                headers=dict(self.headers.items()),
                body=body,
                resolve_key=gateway.keys.get,
                tag=signing.ADAPTER_TAG,
            )
            if verified.nonce in gateway.nonces:
                raise signing.ReplayedSignature("Replayed nonce.")
            gateway.nonces.add(verified.nonce)

        def _inbox(self, params: dict[str, str]) -> None:
            wait, limit = int(params["wait"]), int(params["limit"])
            with gateway.changed:
                gateway.changed.wait_for(lambda: bool(gateway.queued), timeout=wait)
                results = [gateway.queued.popleft() for _ in range(min(limit, len(gateway.queued)))]
            self._reply(200, {"results": results})

        def _answer(self, query_id: str, answer: dict[str, Any]) -> None:
            gateway.answer_posts.append(query_id)
            if gateway.answer_faults:
                status = gateway.answer_faults.popleft()
                self._reply(status, {"error": {"code": "unavailable", "message": "Injected.", "fields": {}}})
            elif query_id not in gateway.known:
                self._reply(404, {"error": {"code": "not_found", "message": "No such query.", "fields": {}}})
            elif query_id in gateway.closed:
                self._reply(410, {"error": {"code": "query_closed", "message": "Expired.", "fields": {}}})
            elif query_id in gateway.answers and gateway.answers[query_id] != answer:
                self._reply(
                    409, {"error": {"code": "answer_conflict", "message": "Answered already.", "fields": {}}}
                )
            else:
                with gateway.changed:
                    gateway.answers[query_id] = answer
                    gateway.changed.notify_all()
                self._reply(200, {"id": query_id, "status": answer["status"]})

        def _check(self, payload: dict[str, Any]) -> None:
            values = payload.get("values")
            if not isinstance(values, list) or not 1 <= len(values) <= 1000:
                self._invalid({"values": ["From 1 to 1000 values."]})
                return
            bad = {
                str(index): ["Not an account or a phone number."]
                for index, item in enumerate(values)
                if item.get("kind") not in ("account", "phone")
            }
            if bad:
                self._invalid({"values": bad})
                return
            gateway.checks.append(values)
            results = []
            for index, item in enumerate(values):
                restriction = gateway.watchlist.get((item["kind"], item["value"]))
                results.append(
                    {"index": index, "listed": restriction is not None, "restriction": restriction}
                )
            self._reply(200, {"results": results})

        def _invalid(self, fields: dict[str, Any]) -> None:
            self._reply(400, {"error": {"code": "invalid", "message": "Bad values.", "fields": fields}})

        def _reply(self, status: int, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
