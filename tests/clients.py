"""Test clients that authenticate the way real callers do: a knox token, or HMAC signing."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from afx_sdk import signing


class SignedClient(APIClient):
    """Signs every request with an adapter key, exactly as the SDK does over HTTP."""

    def __init__(self, api_key: str, secret: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_key = api_key
        self.secret = secret
        self.clock: float | None = None  # a fixed time, to test stale timestamps

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
        query = extra.get("QUERY_STRING", "")
        full_path = f"{path}?{query}" if query else path
        headers = signing.signed_headers(
            api_key=self.api_key, secret=self.secret, method=method, path=full_path, body=body, now=self.clock
        )
        for name, value in headers.items():
            extra["HTTP_" + name.upper().replace("-", "_")] = value
        return super().generic(method, path, data, content_type, secure, **extra)


def token_client(person: Any) -> APIClient:
    from knox.models import AuthToken

    _, token = AuthToken.objects.create(user=person)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client
