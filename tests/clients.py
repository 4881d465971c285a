"""Test clients that authenticate the way real callers do: a knox token, or an adapter's signature."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rest_framework.test import APIClient

from afx_sdk import signing


class SignedClient(APIClient):
    """Signs every request with an adapter key, exactly as the SDK does over HTTP.

    The path is taken as sent (escapes kept) and passed to the gateway as `RAW_URI`, as
    gunicorn and our `runserver` do, so tests verify over the same bytes as production.
    """

    def __init__(self, key_id: str, private_key: Ed25519PrivateKey | str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        assert private_key is not None, "the test needs a generated key pair"
        self.key_id = key_id
        self.private_key = (
            signing.load_private_key(private_key) if isinstance(private_key, str) else private_key
        )
        self.clock: float | None = None  # a fixed time, to test stale signatures
        self.tag = signing.ADAPTER_TAG

    def generic(  # type: ignore[override]
        self,
        method: str,
        path: str,
        data: Any = "",
        content_type: str = "application/json",
        secure: bool = False,
        **extra: Any,
    ) -> Any:
        body = data.encode() if isinstance(data, str) else (data or b"")
        parts = urlsplit(path)
        query = extra.get("QUERY_STRING") or parts.query
        target = parts.path + (f"?{query}" if query else "")
        headers = signing.signed_headers(
            key_id=self.key_id,
            private_key=self.private_key,
            method=method,
            url=f"{'https' if secure else 'http'}://testserver{target}",
            body=body,
            tag=self.tag,
            now=self.clock,
        )
        for name, value in headers.items():
            extra["HTTP_" + name.upper().replace("-", "_")] = value
        extra.setdefault("RAW_URI", target)
        return super().generic(method, path, data, content_type, secure, **extra)


def signed_world_client(issued: Any) -> SignedClient:
    """A client signing with a key the test world made playing its partner (`tests.conftest.HeldKey`)."""
    return SignedClient(issued.key.key_id, issued.private_key)


def token_client(person: Any) -> APIClient:
    from knox.models import AuthToken

    _, token = AuthToken.objects.create(user=person)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client
