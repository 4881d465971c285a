"""DRF authentication of adapters: an RFC 9421 signature made with the adapter key's Ed25519 key.

The gateway verifies over the request as it arrived: the raw request target (`RAW_URI`,
read by `afx_sdk.wsgi`, as the push receiver reads it), not Django's decoded path, which
cannot tell `%2A` from `*`; and the signed path, decoded, must be the path Django routes,
and the signed query the `QUERY_STRING` views read, or a request could be signed for one
view or one set of parameters and served with another.

A refusal is a 401 and an audit event naming the route (`audit.denials.denial_record`),
never the nonce or the raw path. Key ids are not secret, so a refusal is attributed to a key
only when the key's holder must have made it: a fresh, valid signature by a revoked key,
recorded within a budget per key, as a leaked key's holder could otherwise fill the log.
Everything else (a wrong signature, an unknown key id, a stale or replayed signature, which
anyone who saw the request can send again) is an anonymous denial within the per-address
budget; its details hold the key id it named only when that is the id of an existing key,
never an id a caller typed (which may be any text). A revoked key id is told apart from an
unknown one only after its signature verified, so outsiders cannot learn which ids exist.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NoReturn

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from afx_sdk import signing
from afx_sdk.wsgi import request_target, target_path
from observability.metrics import SIGNATURE_REJECTIONS
from partners.audit_actions import PartnerAction
from partners.identity import AdapterPrincipal
from partners.models import AdapterKey
from partners.replay import nonce_claim

LAST_USED_RESOLUTION = timedelta(minutes=1)


class SignatureRejected(exceptions.AuthenticationFailed):
    audited = True  # recorded as a signature rejection; the error handler records nothing more

    def __init__(self, code: str, message: str) -> None:
        super().__init__(detail=message, code=code)


def signed_url(request: HttpRequest) -> str:
    """The absolute URL the signature must cover; BadSignature if its path is not the one
    routed or its query not the `QUERY_STRING` that `request.GET` is parsed from."""
    target = request_target(request.META, decoded_path=request.path)
    query = target.partition("?")[2]
    if target_path(target) != request.path or query != request.META.get("QUERY_STRING", ""):
        raise signing.BadSignature("The signature does not verify.")
    return f"{request.scheme}://{request.get_host()}{target}"


class AdapterSignatureAuthentication(BaseAuthentication):
    """Authenticates requests carrying a `Signature` or `Signature-Input` header; leaves others alone."""

    def authenticate(self, request: Request) -> tuple[AdapterPrincipal, AdapterKey] | None:
        headers = request._request.headers
        if "Signature-Input" not in headers and "Signature" not in headers:
            return None
        found: list[AdapterKey] = []

        def resolve(key_id: str) -> Ed25519PublicKey | None:
            # A revoked key still verifies: whether it is revoked is said only to its holder.
            key = AdapterKey.objects.select_related("partner").filter(key_id=key_id).first()
            if key is None or key.public_key is None:  # pre-Ed25519 keys cannot sign anything
                return None
            found.append(key)
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
        except signing.SignatureError as error:
            self._reject(request, error, key_id=found[-1].key_id if found else None)
        key = found[-1]
        # The nonce is claimed for a revoked key too, so a replay of its refusal is anonymous.
        if not nonce_claim(key=key, nonce=verified.nonce, created=verified.created):
            self._reject(request, signing.ReplayedSignature("This signature was already used."), key.key_id)
        if key.is_revoked:
            self._reject(request, signing.KeyRevoked("The key is revoked."), key.key_id, signer=key)
        self._touch(key)
        return AdapterPrincipal(key=key), key

    def _touch(self, key: AdapterKey) -> None:
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            AdapterKey.objects.filter(pk=key.pk).update(last_used_at=now)

    def _reject(
        self,
        request: Request,
        error: signing.SignatureError,
        key_id: str | None,
        *,
        signer: AdapterKey | None = None,
    ) -> NoReturn:
        """Record and raise the refusal; attributed to `signer` only, a revoked key that
        verified as its maker (within that key's budget)."""
        # Imported here: DRF imports this module while its own views load, which `api` needs.
        from audit.denials import denial_record

        details: dict[str, object] = {"reason": error.code}
        if key_id:  # the id of a key that exists: never text a caller typed
            details["key_id"] = key_id
        denial_record(
            request=request._request,
            action=PartnerAction.SIGNATURE_REJECTED,
            actor=AdapterPrincipal(key=signer) if signer is not None else None,
            details=details,
            revoked_key_id=signer.key_id if signer is not None else "",
        )
        SIGNATURE_REJECTIONS.labels(reason=error.code).inc()
        raise SignatureRejected(error.code, str(error))

    def authenticate_header(self, request: Request) -> str:
        return 'Signature realm="api"'
