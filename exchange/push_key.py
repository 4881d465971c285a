"""The gateway's own Ed25519 keys, which sign every push to a partner's webhook.

Partners verify pushes with the public keys published at `/api/v1/signing-keys/`; nobody
but the gateway can sign one, and no partner secret is involved. The current key comes from
`AFX_GATEWAY_SIGNING_KEY` or `AFX_GATEWAY_SIGNING_KEY_FILE`, through the same loader as the
audit sequencer's key (base64url or base64 of the 32-byte seed, or a PEM); the embedded
default creates `var/gateway-signing.pem` (mode 0600) on first need, production refuses to
start without one.

Rotation, without a push refused: (1) set the new key as `AFX_GATEWAY_SIGNING_KEY_NEXT` (or
`_NEXT_FILE`): it is published beside the current one, pushes are still signed with the
current one; (2) partners fetch the keys again (the SDK's receiver does so by itself when a
push names a key id it does not know, if it was given a `key_fetcher`; partners who set
`AFX_GATEWAY_PUBLIC_KEY` by hand add the new key to it); (3) swap: the new key becomes
current and the old one next, so pushes are signed with the new key and the old is still
published; (4) drop the old key from `_NEXT` once partners no longer need it.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from afx_sdk import signing
from audit.signing import load_ed25519_key

SETTING = "AFX_GATEWAY_SIGNING_KEY"
NEXT_SETTING = f"{SETTING}_NEXT"


def push_signing_key() -> Ed25519PrivateKey:
    """The key pushes are signed with now."""
    return load_ed25519_key(
        encoded=str(getattr(settings, SETTING, "")),
        path=str(getattr(settings, f"{SETTING}_FILE", "")),
        autocreate=bool(getattr(settings, f"{SETTING}_AUTOCREATE", False)),
        setting=SETTING,
    )


def next_signing_key() -> Ed25519PrivateKey | None:
    """The key of a rotation under way, published but not yet signing; None outside one."""
    encoded = str(getattr(settings, NEXT_SETTING, ""))
    path = str(getattr(settings, f"{NEXT_SETTING}_FILE", ""))
    if not (encoded or path):
        return None
    return load_ed25519_key(encoded=encoded, path=path, autocreate=False, setting=NEXT_SETTING)


def push_key_id() -> str:
    """The `keyid` of push signatures: the fingerprint of the public key, as receivers compute it."""
    return signing.key_fingerprint(push_signing_key().public_key())


def published_keys() -> list[dict[str, Any]]:
    """The public keys partners verify the gateway with, one entry per key and use: the
    current push key, then the next one during a rotation. Each entry names its `use`, so
    keys for other uses can be published beside them."""
    keys = [push_signing_key(), next_signing_key()]
    return [
        {
            "key_id": signing.key_fingerprint(key.public_key()),
            "algorithm": signing.ALGORITHM,
            "public_key": signing.public_key_text(key),
            "use": "push",
        }
        for key in keys
        if key is not None
    ]
