"""Adapter keys: registering a partner's public key, and revoking one."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from afx_sdk import signing
from audit.services import event_record
from core.actors import Actor
from core.errors import Conflict, Invalid
from partners.access import access_key_by_id, access_partner_by_code
from partners.audit_actions import PartnerAction
from partners.choices import ANSWERING_KINDS
from partners.models import AdapterKey, Partner, Person


def _canonical_public_key(public_key: str) -> str:
    try:
        return signing.public_key_text(signing.load_public_key(public_key))
    except ValueError:
        raise Invalid(
            "Not an Ed25519 public key.", fields={"public_key": ["base64url of the raw 32-byte key."]}
        ) from None


def adapter_key_create(
    *, actor: Actor | None, partner_code: str, public_key: str, label: str = ""
) -> AdapterKey:
    """Register an adapter's Ed25519 public key; a partner may hold two active keys at once, to rotate.

    The partner makes its key pair (`python -m afx_sdk.keygen`) and hands over the public key
    only: the private key never leaves the partner, so nobody at AFX can sign as its adapter.
    """
    found = access_partner_by_code(actor=actor, code=partner_code)
    public_key = _canonical_public_key(public_key)
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=found.pk)
        if partner.kind not in ANSWERING_KINDS:
            raise Invalid("Only answering partners have adapters.", code="not_answering")
        if partner.adapter_keys.active().count() >= AdapterKey.MAX_ACTIVE_PER_PARTNER:
            raise Conflict(
                "This partner already holds two active keys; revoke one first.", code="too_many_keys"
            )
        if AdapterKey.objects.filter(public_key=public_key).exists():
            # A revoked key stays refused: registering its public key again would revive it.
            raise Conflict(
                "This public key is already registered.", fields={"public_key": ["Already registered."]}
            )
        key = AdapterKey.objects.create(
            partner=partner,
            key_id=secrets.token_hex(8),
            public_key=public_key,
            label=label,
            created_by=actor if isinstance(actor, Person) else None,
        )
        event_record(
            actor=actor,
            action=PartnerAction.KEY_CREATED,
            target=key,
            details={"partner": partner.code, "key_id": key.key_id},
        )
        return key


def adapter_key_revoke(*, actor: Actor | None, key_id: str) -> AdapterKey:
    """Revoke a key at once, by the id its signatures name: the next request signed with it is
    refused. Revoking a revoked key changes nothing."""
    found = access_key_by_id(actor=actor, key_id=key_id)
    with transaction.atomic():
        key = AdapterKey.objects.select_for_update(of=("self",)).select_related("partner").get(pk=found.pk)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            event_record(
                actor=actor,
                action=PartnerAction.KEY_REVOKED,
                target=key,
                details={"partner": key.partner.code, "key_id": key.key_id},
            )
        return key
