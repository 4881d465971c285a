"""HTTP Message Signatures (RFC 9421) with Ed25519, in both directions between gateway and adapters.

Adapters sign their requests with their own private key; the gateway keeps only the public
key, so nobody who reads its database can sign as an adapter. The gateway signs its pushes
with its own key, which adapters verify with the public key it publishes at
`/api/v1/signing-keys/`. The work is done by `http_message_signatures`; this module fixes
the profile and turns every refusal into a `SignatureError` with a code:

* covered components: `@method`, `@authority`, `@path`, `@query` and `content-digest`
  (RFC 9530, SHA-256, present even for an empty body), so the method, the host, the exact
  escaped path and query as sent, and the body are all signed. `@authority` stays covered:
  the gateway signs every partner's pushes with one key, and without the host a partner
  could replay a push it received to another partner's webhook with the same path. Behind
  a TLS proxy the Host must be preserved anyway, or Django's `ALLOWED_HOSTS` refuses it.
* parameters: `created`, `keyid`, `alg="ed25519"`, a random `nonce` (128 bits) and a `tag`
  per direction (`afx-adapter`, `afx-push`): a signature made for one direction is never
  accepted in the other.
* a signature whose `created` is more than `max_skew_seconds` (5 minutes) from the
  verifier's clock, either way, is stale; the verifier remembers nonces for longer than
  that window, so a captured request is refused as stale or as replayed, never accepted.

One message carries exactly one signature. The checks of the parameters run before any key
is looked up, so junk costs no database read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)

ADAPTER_TAG = "afx-adapter"
PUSH_TAG = "afx-push"
LABEL = "afx"
ALGORITHM = "ed25519"
COVERED_COMPONENTS = ("@method", "@authority", "@path", "@query", "content-digest")
SIGNATURE_HEADERS = ("Signature-Input", "Signature", "Content-Digest")
MAX_SKEW_SECONDS = 300
MAX_HEADER_LENGTH = 2048  # ours are about 300 characters; anything near this is not a signature
NONCE = re.compile(r"[A-Za-z0-9._~+/=-]{16,64}")  # base64, base64url, hex or a UUID
KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class SignatureError(Exception):
    """A request's signature cannot be accepted; `code` says why, for the error body.

    Messages are fixed sentences: they never quote the headers they refuse.
    """

    code = "signature_invalid"


class MissingSignature(SignatureError):
    code = "signature_missing"


class StaleSignature(SignatureError):
    code = "signature_stale"


class BadSignature(SignatureError):
    code = "signature_invalid"


class KeyRevoked(SignatureError):
    code = "key_revoked"


class ReplayedSignature(SignatureError):
    """Raised by the verifier's caller, who keeps the nonces."""

    code = "signature_replayed"


@dataclass(frozen=True)
class VerifiedSignature:
    """What a verified signature vouches for: the key that made it, its nonce and time."""

    key_id: str
    nonce: str
    created: int


@dataclass
class _Message:
    """The message view the library reads: method, encoded absolute URL, header fields."""

    method: str
    url: str
    headers: dict[str, str]


# --- keys --------------------------------------------------------------------------------


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _b64decode(text: str) -> bytes:
    """base64 or base64url, padded or not: the two spellings tools print for the same bytes."""
    cleaned = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))


def public_key_text(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The public key as everyone exchanges it here: base64url (no padding) of its raw 32 bytes."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def load_public_key(text: str) -> Ed25519PublicKey:
    """Parse `public_key_text`'s form; ValueError (without the input) if it is not one."""
    try:
        raw = _b64decode(text)
        if len(raw) != 32:
            raise ValueError
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error):
        raise ValueError("Not an Ed25519 public key: expected base64url of 32 bytes.") from None


def private_key_text(key: Ed25519PrivateKey) -> str:
    """The private key for an environment variable: base64url (no padding) of its 32-byte seed."""
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def load_private_key(text: str) -> Ed25519PrivateKey:
    """A private key from `private_key_text`'s form or from a PKCS#8 PEM (as `openssl genpkey
    -algorithm ed25519` writes it); ValueError (without the input) if it is neither."""
    try:
        if text.lstrip().startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError
            return key
        raw = _b64decode(text)
        if len(raw) != 32:
            raise ValueError
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (ValueError, TypeError, binascii.Error):
        raise ValueError(
            "Not an Ed25519 private key: expected a PEM or base64url of a 32-byte seed."
        ) from None


def key_fingerprint(key: Ed25519PublicKey) -> str:
    """A short id for a key nobody assigned one: 16 hex digits of SHA-256 of the raw key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def read_key_argument(value: str) -> str:
    """A key given on a command line: the key itself, or `@path` to read it from a file (so it
    does not show in the process list)."""
    return Path(value[1:]).read_text() if value.startswith("@") else value


# --- signing -----------------------------------------------------------------------------


def signed_headers(
    *,
    key_id: str,
    private_key: Ed25519PrivateKey,
    method: str,
    url: str,
    body: bytes = b"",
    tag: str = ADAPTER_TAG,
    now: float | None = None,
) -> dict[str, str]:
    """`Content-Digest`, `Signature-Input` and `Signature` for one request; a fresh nonce each call.

    `url` is the absolute URL exactly as it goes on the wire (escaped path and query as
    sent, e.g. `str(httpx.Request.url)`): the signature covers those bytes, not a decoded form.
    """
    message = _Message(method=method.upper(), url=url, headers={})
    created = datetime.fromtimestamp(int(time.time() if now is None else now), tz=UTC)
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: private_key}),
    )
    signer.sign(
        message,
        key_id=key_id,
        created=created,
        nonce=secrets.token_urlsafe(16),
        label=LABEL,
        tag=tag,
        covered_component_ids=COVERED_COMPONENTS,
        body=body,
    )
    return message.headers


# --- verification ------------------------------------------------------------------------


class _Stale(InvalidSignature):
    pass


class _Resolver(HTTPSignatureKeyResolver):
    """Adapts the caller's lookup; keeps a `SignatureError` it raises (e.g. a revoked key),
    which the library would otherwise fold into its own exception."""

    def __init__(self, resolve: Callable[[str], Ed25519PublicKey | None]) -> None:
        self._resolve = resolve
        self.refusal: SignatureError | None = None

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        if not isinstance(key_id, str) or not KEY_ID.fullmatch(key_id):
            return None
        try:
            return self._resolve(key_id)
        except SignatureError as refusal:
            self.refusal = refusal
            raise

    def resolve_private_key(self, key_id: str) -> Any:
        raise NotImplementedError("Verification only.")


class _Verifier(HTTPMessageVerifier):
    """The library's verifier with our parameter policy, checked against the caller's clock
    (the library's own check reads the system clock and allows 5 seconds)."""

    def __init__(self, resolver: _Resolver, *, tag: str, now: float, max_skew_seconds: float) -> None:
        super().__init__(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
        self.max_clock_skew = timedelta(seconds=max_skew_seconds)
        self._tag, self._now, self._skew = tag, now, max_skew_seconds

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        params = sig_input.params
        created, expires = params.get("created"), params.get("expires")
        if type(created) is not int:
            raise InvalidSignature("created missing")
        if abs(self._now - created) > self._skew:
            raise _Stale("created outside the window")
        if expires is not None and (type(expires) is not int or expires < self._now):
            raise _Stale("expired")
        if params.get("tag") != self._tag:
            raise InvalidSignature("tag")
        nonce = params.get("nonce")
        if not isinstance(nonce, str) or not NONCE.fullmatch(nonce):
            raise InvalidSignature("nonce")


def _fields(headers: Mapping[str, str]) -> dict[str, str]:
    """Header fields by lower-case name, after the checks that need no parsing."""
    fields = {str(name).lower(): value for name, value in headers.items()}
    if "signature-input" not in fields or "signature" not in fields:
        raise MissingSignature("The request lacks the Signature-Input or Signature header.")
    for name in SIGNATURE_HEADERS:
        value = fields.get(name.lower(), "")
        if not isinstance(value, str) or len(value) > MAX_HEADER_LENGTH or not value.isascii():
            raise BadSignature("A signature header is malformed.")
    return fields


def verify_request(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    resolve_key: Callable[[str], Ed25519PublicKey | None],
    tag: str,
    max_skew_seconds: float = MAX_SKEW_SECONDS,
    now: float | None = None,
) -> VerifiedSignature:
    """Verify the one signature of a request (`url` absolute and as received, escapes kept).

    `resolve_key` returns the public key of a key id, None for an unknown one, or raises a
    `SignatureError` (e.g. `KeyRevoked`). Whatever the headers hold, this raises only
    `SignatureError`; checking that the nonce is new is the caller's part.
    """
    fields = _fields(headers)
    resolver = _Resolver(resolve_key)
    verifier = _Verifier(
        resolver, tag=tag, now=time.time() if now is None else now, max_skew_seconds=max_skew_seconds
    )
    try:
        (result,) = verifier.verify(
            _Message(method=method, url=url, headers=fields),
            max_age=None,  # the window is checked in `_Verifier`, both ways
            require_components=COVERED_COMPONENTS,
            body=body,
        )
    except _Stale:
        raise StaleSignature("The signature was created too far from the server's clock.") from None
    except Exception:
        # The library parses what the sender wrote; whatever it raises (its own errors, or a
        # ValueError deep in a parser) is a bad signature, never a server error.
        if resolver.refusal is not None:
            raise resolver.refusal from None
        raise BadSignature("The signature does not verify.") from None
    params = result.parameters
    return VerifiedSignature(
        key_id=str(params["keyid"]), nonce=str(params["nonce"]), created=int(params["created"])
    )
