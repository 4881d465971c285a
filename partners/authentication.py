"""DRF authentication of adapters: an API key and an HMAC signature over the whole request.

A stale timestamp, a replayed nonce, an unknown or revoked key or a wrong signature is refused
with 401 and an audit event; the key itself never reaches a log or the audit details.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
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
from .services import api_key_digest

LAST_USED_RESOLUTION = timedelta(minutes=1)


class SignatureRejected(exceptions.AuthenticationFailed):
    audited = True  # recorded as a signature rejection; the error handler records nothing more

    def __init__(self, code: str, message: str) -> None:
        super().__init__(detail=message, code=code)


def _header(request: Request, name: str) -> str:
    return request.META.get("HTTP_" + name.upper().replace("-", "_"), "")


class AdapterSignatureAuthentication(BaseAuthentication):
    """Authenticates requests that carry an `X-AFX-Key` header; leaves all others alone."""

    def authenticate(self, request: Request) -> tuple[AdapterPrincipal, AdapterKey] | None:
        api_key = _header(request, signing.HEADER_KEY)
        if not api_key:
            return None
        key = AdapterKey.objects.select_related("partner").filter(key_digest=api_key_digest(api_key)).first()
        try:
            return self._verify(request, key)
        except signing.SignatureError as error:
            self._reject(request, key, error.code, str(error))
        raise AssertionError("unreachable")

    def _verify(self, request: Request, key: AdapterKey | None) -> tuple[AdapterPrincipal, AdapterKey]:
        timestamp, nonce, provided = (
            _header(request, name)
            for name in (signing.HEADER_TIMESTAMP, signing.HEADER_NONCE, signing.HEADER_SIGNATURE)
        )
        if not (timestamp and nonce and provided):
            raise signing.MissingSignature("The request lacks a timestamp, nonce or signature header.")
        if key is None:
            raise signing.BadSignature("The API key is not valid.")
        if key.is_revoked:
            error = signing.BadSignature("The API key is not valid.")
            error.code = "key_revoked"
            raise error
        signing.verify(
            secret=key.signing_secret,
            method=request.method or "",
            path=request._request.get_full_path(),
            body=request._request.body,
            timestamp=timestamp,
            nonce=nonce,
            provided=provided,
            max_skew=settings.AFX_SIGNATURE_MAX_SKEW.total_seconds(),
        )
        replay_window = int(settings.AFX_SIGNATURE_MAX_SKEW.total_seconds() * 2) + 1
        if not cache.add(f"afx:nonce:{key.key_id}:{nonce}", 1, timeout=replay_window):
            error = signing.BadSignature("This nonce was already used.")
            error.code = "signature_replayed"
            raise error
        self._touch(key)
        return AdapterPrincipal(key=key), key

    def _touch(self, key: AdapterKey) -> None:
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            AdapterKey.objects.filter(pk=key.pk).update(last_used_at=now)

    def _reject(self, request: Request, key: AdapterKey | None, code: str, message: str) -> None:
        event_record(
            actor=AdapterPrincipal(key=key) if key is not None else None,
            action=AuditAction.SIGNATURE_REJECTED,
            outcome=Outcome.DENIED,
            details={"reason": code, "method": request.method, "path": escape_uri_path(request.path)},
        )
        raise SignatureRejected(code, message)

    def authenticate_header(self, request: Request) -> str:
        return 'AFX-HMAC realm="api"'
