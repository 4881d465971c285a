"""Request signing shared by the gateway and adapters: HMAC-SHA256 over the whole request.

The signed message binds the method, the path with its query string, a SHA-256 of the body,
a timestamp and a nonce, one per line. The gateway refuses a timestamp more than five minutes
from its clock and a nonce it has seen for that key, so a captured request cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER_KEY = "X-AFX-Key"
HEADER_TIMESTAMP = "X-AFX-Timestamp"
HEADER_NONCE = "X-AFX-Nonce"
HEADER_SIGNATURE = "X-AFX-Signature"
SIGNED_HEADERS = (HEADER_KEY, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)

MAX_SKEW_SECONDS = 300
MAX_NONCE_LENGTH = 64


class SignatureError(Exception):
    """A request's signature cannot be accepted; `code` says why, for the error body."""

    code = "signature_invalid"


class MissingSignature(SignatureError):
    code = "signature_missing"


class StaleTimestamp(SignatureError):
    code = "signature_stale"


class BadSignature(SignatureError):
    code = "signature_invalid"


def canonical_message(*, method: str, path: str, body: bytes, timestamp: str, nonce: str) -> bytes:
    """The exact bytes that are signed: one field per line, the body as its SHA-256."""
    body_digest = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path, timestamp, nonce, body_digest]).encode()


def signature(*, secret: str, method: str, path: str, body: bytes, timestamp: str, nonce: str) -> str:
    message = canonical_message(method=method, path=path, body=body, timestamp=timestamp, nonce=nonce)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    *, api_key: str, secret: str, method: str, path: str, body: bytes = b"", now: float | None = None
) -> dict[str, str]:
    """The four headers that authenticate one request; a fresh nonce every call."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_urlsafe(18)
    return {
        HEADER_KEY: api_key,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(
            secret=secret, method=method, path=path, body=body, timestamp=timestamp, nonce=nonce
        ),
    }


def check_freshness(timestamp: str, *, now: float | None = None, max_skew: float = MAX_SKEW_SECONDS) -> None:
    """Refuse a malformed timestamp or one outside the allowed skew, either way."""
    try:
        sent = int(timestamp)
    except ValueError:
        raise BadSignature("The timestamp is not a whole number of seconds.") from None
    current = time.time() if now is None else now
    if abs(current - sent) > max_skew:
        raise StaleTimestamp("The request timestamp is too far from the server's clock.")


def verify(
    *,
    secret: str,
    method: str,
    path: str,
    body: bytes,
    timestamp: str,
    nonce: str,
    provided: str,
    now: float | None = None,
    max_skew: float = MAX_SKEW_SECONDS,
) -> None:
    """Check freshness and the signature in constant time; the caller checks the nonce is new."""
    if not nonce or len(nonce) > MAX_NONCE_LENGTH:
        raise BadSignature("The nonce is missing or too long.")
    check_freshness(timestamp, now=now, max_skew=max_skew)
    expected = signature(secret=secret, method=method, path=path, body=body, timestamp=timestamp, nonce=nonce)
    if not hmac.compare_digest(expected, provided):
        raise BadSignature("The signature does not match the request.")
