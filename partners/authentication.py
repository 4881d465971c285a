"""DRF authentication of adapters: an RFC 9421 signature made with the adapter key's Ed25519 key.

The gateway verifies over the request as it arrived: the raw request target (`RAW_URI`),
not Django's decoded path, which cannot tell `%2A` from `*`. A stale signature, a replayed
nonce, an unknown or revoked key or a wrong signature is refused with 401 and an audit
event naming the route matched (`api.denials`); neither the nonce nor the raw path reaches
the audit details.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NoReturn

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from afx_sdk import signing
from audit.choices import AuditAction, Outcome
from audit.services import event_record

from .identity import AdapterPrincipal
from .models import AdapterKey
from .replay import nonce_claim

LAST_USED_RESOLUTION = timedelta(minutes=1)


class SignatureRejected(exceptions.AuthenticationFailed):
    audited = True  # recorded as a signature rejection; the error handler records nothing more

    def __init__(self, code: str, message: str) -> None:
        super().__init__(detail=message, code=code)


def request_target(request: HttpRequest) -> str:
    """The path and query exactly as the client sent them.

    gunicorn passes `RAW_URI`, some servers `REQUEST_URI`; ours (`runserver`, the SDK's
    `serve`) add `RAW_URI` too. Without either (Django's test client), the path is escaped
    again, which is right for every path whose escapes are the canonical ones.
    """
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if raw:
        if "://" in raw.split("?", 1)[0]:  # absolute form, as sent to a proxy
            raw = "/" + raw.split("://", 1)[1].partition("/")[2]
        return str(raw)
    query = request.META.get("QUERY_STRING", "")
    return escape_uri_path(request.path) + (f"?{query}" if query else "")


def signed_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}{request_target(request)}"


class AdapterSignatureAuthentication(BaseAuthentication):
    """Authenticates requests carrying a `Signature` or `Signature-Input` header; leaves others alone."""

    def authenticate(self, request: Request) -> tuple[AdapterPrincipal, AdapterKey] | None:
        headers = request._request.headers
        if "Signature-Input" not in headers and "Signature" not in headers:
            return None
        found: list[AdapterKey] = []

        def resolve(key_id: str) -> Ed25519PublicKey | None:
            key = AdapterKey.objects.select_related("partner").filter(key_id=key_id).first()
            if key is None:
                return None
            found.append(key)
            if key.is_revoked or key.public_key is None:
                raise signing.KeyRevoked("The key is revoked.")
            return signing.load_public_key(key.public_key)

        try:
            verified = signing.verify_request(
                method=request.method or "",
                url=signed_url(request._request),
                headers=headers,
                body=request._request.body,
                resolve_key=resolve,
                tag=signing.ADAPTER_TAG,
                max_skew_seconds=settings.AFX_SIGNATURE_MAX_SKEW.total_seconds(),
            )
            key = found[-1]
            if not nonce_claim(key=key, nonce=verified.nonce, created=verified.created):
                raise signing.ReplayedSignature("This signature was already used.")
        except signing.SignatureError as error:
            self._reject(request, found[-1] if found else None, error.code, str(error))
        self._touch(key)
        return AdapterPrincipal(key=key), key

    def _touch(self, key: AdapterKey) -> None:
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            AdapterKey.objects.filter(pk=key.pk).update(last_used_at=now)

    def _reject(self, request: Request, key: AdapterKey | None, code: str, message: str) -> NoReturn:
        # Imported here: DRF imports this module while its own views load, which `api` needs.
        from api.denials import anonymous_denial_details, request_method, request_route

        # No known key: an anonymous caller, recorded within the per-address budget (None: past it).
        extra = anonymous_denial_details(request) if key is None else {}
        if extra is not None:
            event_record(
                actor=AdapterPrincipal(key=key) if key is not None else None,
                action=AuditAction.SIGNATURE_REJECTED,
                outcome=Outcome.DENIED,
                details={"reason": code, "method": request_method(request), **request_route(request)} | extra,
            )
        raise SignatureRejected(code, message)

    def authenticate_header(self, request: Request) -> str:
        return 'Signature realm="api"'
