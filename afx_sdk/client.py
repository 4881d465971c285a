"""The adapter's side of the pull API: fetch queries from the inbox, renew their leases, post
answers, ask who it is.

Every request is signed (RFC 9421, Ed25519, see `signing`) with the adapter's private key over
what goes on the wire: method, host, the escaped path and query as sent, and the body's
digest, so what the gateway verifies is what was sent, whatever `base_url`'s path prefix.
The gateway holds only the public key; `key_id` is the id it gave that key at registration.
Failures come back as `GatewayError` subclasses; transport failures included,
so a caller catches one family of errors.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from types import TracebackType
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import signing
from .errors import GatewayError, GatewayUnavailable, error_for
from .models import Answer, MalformedMessage, Query

logger = logging.getLogger(__name__)

INBOX_PATH = "/api/v1/adapter/inbox/"
ANSWER_PATH = "/api/v1/adapter/queries/{id}/answer/"
LEASES_PATH = "/api/v1/adapter/leases/"
ME_PATH = "/api/v1/adapter/me/"
SIGNING_KEYS_PATH = "/api/v1/signing-keys/"
WATCHLIST_CHECK_PATH = "/api/v1/watchlist/check/"
MAX_WAIT_SECONDS = 25
MAX_LIMIT = 100


class GatewayClient:
    """A signed HTTP client for one adapter key. Thread-safe: the pull loop shares one across workers."""

    def __init__(
        self, base_url: str, key_id: str, private_key: Ed25519PrivateKey | str, *, timeout: float = 10.0
    ) -> None:
        """`private_key` is the key object, or its text (`signing.load_private_key`'s forms)."""
        self._key_id = key_id
        self._private_key = (
            signing.load_private_key(private_key) if isinstance(private_key, str) else private_key
        )
        self._timeout = timeout
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def inbox(self, *, wait: float = MAX_WAIT_SECONDS, limit: int = 10) -> list[Query]:
        """Queries waiting for this adapter; blocks up to `wait` seconds until there is one.

        The gateway leases what it returns for a short while (10 s): a query neither answered
        nor renewed (`renew_leases`) by then comes back.
        """
        wait = min(max(int(wait), 0), MAX_WAIT_SECONDS)
        limit = min(max(int(limit), 1), MAX_LIMIT)
        # The read timeout must outlast the long poll, or every idle poll would end in an error.
        timeout = httpx.Timeout(self._timeout, read=wait + self._timeout)
        body = self._request("GET", INBOX_PATH, params={"wait": wait, "limit": limit}, timeout=timeout)
        queries = []
        for item in body.get("results", []):
            try:
                queries.append(Query.from_json(item))
            except MalformedMessage as error:
                # Skipping one bad query keeps the others flowing; the gateway expires it.
                query_id = item.get("id") if isinstance(item, dict) else None
                logger.warning("Skipped a malformed query %s from the inbox: %s", query_id, error)
        return queries

    def answer(self, query_id: str, answer: Answer) -> dict[str, Any]:
        """Post an answer. The same answer twice is harmless; a different one raises `AnswerConflict`."""
        return self._request("POST", ANSWER_PATH.format(id=query_id), payload=answer.to_json())

    def renew_leases(self, query_ids: list[str]) -> list[str]:
        """Renew the leases of queries still being worked on (100 ids a request); returns the ids
        renewed. A query left out was answered, closed, or its lease had already run out (it
        may be another instance's now): finish it anyway, its answer is still taken if open.
        """
        renewed: list[str] = []
        for start in range(0, len(query_ids), MAX_LIMIT):  # the gateway takes 100 at a time
            chunk = list(query_ids[start : start + MAX_LIMIT])
            body = self._request("POST", LEASES_PATH, payload={"queries": chunk})
            listed = body.get("renewed")
            if not isinstance(listed, list):
                raise GatewayError(
                    "The renewal's answer is not a list of ids.", code="bad_response", status=200
                )
            renewed += [str(query_id) for query_id in listed]
        return renewed

    def me(self) -> dict[str, Any]:
        """The adapter's own identity as the gateway sees it: a cheap check of key and clock."""
        return self._request("GET", ME_PATH)

    def watchlist_check(self, values: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """Check `(kind, value)` pairs (`"account"` or `"phone"`; 1 to 1,000) against the
        watchlist: one result per value, in order, `{"index", "listed", "restriction"}` (the
        strictest restriction asked, None when not listed). A POST, so no value is in a URL.
        A bad value is a `GatewayError` (400, `fields` naming its place, never the value).
        """
        payload = {"values": [{"kind": kind, "value": value} for kind, value in values]}
        body = self._request("POST", WATCHLIST_CHECK_PATH, payload=payload)
        results = body.get("results")
        if not isinstance(results, list) or not all(isinstance(item, dict) for item in results):
            raise GatewayError(
                "The check's results are not a list of objects.", code="bad_response", status=200
            )
        return results

    def gateway_keys(self) -> dict[str, Ed25519PublicKey]:
        """The gateway's published push keys by key id, for a `PushReceiver` (one unsigned GET)."""
        return fetch_gateway_keys(self._http)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> dict[str, Any]:
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        request = self._http.build_request(
            method,
            path,
            params=params,
            content=body,
            headers={"Content-Type": "application/json"} if payload is not None else None,
            timeout=timeout if timeout is not None else self._timeout,
        )
        request.headers.update(
            signing.signed_headers(
                key_id=self._key_id,
                private_key=self._private_key,
                method=method,
                url=str(request.url),
                body=body,
            )
        )
        try:
            response = self._http.send(request)
        except httpx.RequestError as error:  # transport failures, and bodies that cannot be decoded
            raise GatewayUnavailable(
                f"The gateway could not be reached: {type(error).__name__}.", code="unreachable"
            ) from error
        if response.is_error:
            raise _error_from(response)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise GatewayError(
                "The response is not a JSON object.", code="bad_response", status=response.status_code
            )
        return data


def fetch_gateway_keys(http: httpx.Client | str, *, timeout: float = 10.0) -> dict[str, Ed25519PublicKey]:
    """The gateway's public keys for pushes, from `GET /api/v1/signing-keys/` (public).

    `http` is a client whose base URL is the gateway, or that base URL. The keys decide which
    pushes are believed, so they come over HTTPS: plain `http://` is refused (ValueError)
    except to a loopback address, for a gateway on the same machine. Fetch at start, and
    give the push receiver this function as its `key_fetcher` to follow a key rotation.
    Each key's id must be its fingerprint (`signing.key_fingerprint`), the id
    `gateway_keys_from_text` gives a key, so a key has one id however it was obtained; a
    list naming any key otherwise is refused whole (ValueError).
    """
    if isinstance(http, str):
        with httpx.Client(base_url=http, timeout=timeout) as client:
            return fetch_gateway_keys(client)
    response = _published(http)
    try:
        published = [
            (str(item["key_id"]), signing.load_public_key(str(item["public_key"])))
            for item in response.json()
            if item.get("use") == "push" and item.get("algorithm") == signing.ALGORITHM
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise GatewayError(
            "The signing keys are not a list of keys.", code="bad_response", status=response.status_code
        ) from None
    if any(key_id != signing.key_fingerprint(key) for key_id, key in published):
        raise ValueError("A published key's id is not its fingerprint: the gateway's keys are refused.")
    return dict(published)


def fetch_unit_keys(
    http: httpx.Client | str, *, timeout: float = 10.0
) -> dict[str, tuple[str, Ed25519PublicKey]]:
    """The police units' public keys, by key id, with the unit each belongs to: what a bank
    verifies a stop-payment's or freeze's signed instruction with (`instructions.verify`).

    From the same public list as `fetch_gateway_keys` (entries with `"use": "unit"` and
    `"unit": <code>`), under the same rules: HTTPS except to loopback, and every key's id
    its fingerprint, or the whole list is refused (ValueError). A retired unit key stays
    listed, so instructions signed before a rotation still verify.
    """
    if isinstance(http, str):
        with httpx.Client(base_url=http, timeout=timeout) as client:
            return fetch_unit_keys(client)
    response = _published(http)
    try:
        published = [
            (str(item["key_id"]), str(item["unit"]), signing.load_public_key(str(item["public_key"])))
            for item in response.json()
            if item.get("use") == "unit" and item.get("algorithm") == signing.ALGORITHM
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise GatewayError(
            "The signing keys are not a list of keys.", code="bad_response", status=response.status_code
        ) from None
    if any(key_id != signing.key_fingerprint(key) for key_id, _, key in published):
        raise ValueError("A published key's id is not its fingerprint: the units' keys are refused.")
    return {key_id: (unit, key) for key_id, unit, key in published}


def _published(http: httpx.Client) -> httpx.Response:
    """The response of `GET /api/v1/signing-keys/`, fetched over HTTPS (or from loopback)."""
    _require_https(http.base_url)
    try:
        response = http.get(SIGNING_KEYS_PATH)
    except httpx.RequestError as error:
        raise GatewayUnavailable(
            f"The gateway could not be reached: {type(error).__name__}.", code="unreachable"
        ) from error
    if response.is_error:
        raise _error_from(response)
    return response


def _require_https(url: httpx.URL) -> None:
    if url.scheme == "https" or (url.scheme == "http" and _is_loopback(url.host)):
        return
    raise ValueError("The gateway's keys are fetched over https:// (plain http from loopback only).")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _error_from(response: httpx.Response) -> GatewayError:
    try:
        error = response.json()["error"]
        code, message, fields = str(error["code"]), str(error.get("message", "")), error.get("fields") or {}
    except (ValueError, KeyError, TypeError):
        code, message, fields = f"http_{response.status_code}", response.reason_phrase, {}
    return error_for(status=response.status_code, code=code, message=message, fields=fields)
