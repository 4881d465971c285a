"""The gateway's own Ed25519 key, which signs every push to a partner's webhook.

Partners verify pushes with its public key, published at `/api/v1/signing-keys/`; nobody
but the gateway can sign one, and no partner secret is involved. The key comes from
`AFX_GATEWAY_SIGNING_KEY` (base64 of the 32-byte seed) or `AFX_GATEWAY_SIGNING_KEY_FILE`
(PEM), through the same loader as the audit sequencer's key; the embedded default creates
`var/gateway-signing.pem` (mode 0600) on first need, production refuses to start without one.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from afx_sdk import signing
from audit.signing import load_ed25519_key

SETTING = "AFX_GATEWAY_SIGNING_KEY"


def push_signing_key() -> Ed25519PrivateKey:
    return load_ed25519_key(
        encoded=str(getattr(settings, SETTING, "")),
        path=str(getattr(settings, f"{SETTING}_FILE", "")),
        autocreate=bool(getattr(settings, f"{SETTING}_AUTOCREATE", False)),
        setting=SETTING,
    )


def push_key_id() -> str:
    """The `keyid` of push signatures: the fingerprint of the public key, as receivers compute it."""
    return signing.key_fingerprint(push_signing_key().public_key())


def published_keys() -> list[dict[str, Any]]:
    """The public keys partners verify the gateway with, one entry per key and use.

    One push key today; a second appears here during a rotation, and the police units' keys
    (issue 10) take their own `use`.
    """
    key = push_signing_key()
    return [
        {
            "key_id": signing.key_fingerprint(key.public_key()),
            "algorithm": signing.ALGORITHM,
            "public_key": signing.public_key_text(key),
            "use": "push",
        }
    ]
