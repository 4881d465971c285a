"""Grants: letting a police unit send one request kind to one partner until an expiry, and
withdrawing that."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from audit.services import event_record
from core import request_kinds
from core.actors import Actor
from core.errors import Invalid
from partners.access import access_grant_by_id, access_partner_by_code
from partners.audit_actions import PartnerAction
from partners.choices import PartnerKind
from partners.models import Grant, Person
from partners.permissions import send_permission


def grant_create(
    *,
    actor: Actor | None,
    unit_code: str,
    partner_code: str,
    kind: str,
    expires_at: datetime,
    legal_basis: str = "",
) -> Grant:
    """Let a police unit send `kind` requests to a partner until `expires_at`; renews an existing grant.

    `kind` is any kind `core.request_kinds` holds; its permission row is made here if no
    `migrate` has made it yet (`partners.permissions`).
    """
    unit = access_partner_by_code(actor=actor, code=unit_code)
    partner = access_partner_by_code(actor=actor, code=partner_code)
    if unit.kind != PartnerKind.POLICE_UNIT:
        raise Invalid("Grants are given to police units.", fields={"unit": ["Not a police unit."]})
    if request_kinds.get(kind) is None:
        known = ", ".join(request_kinds.names())
        raise Invalid("Unknown request kind.", fields={"kind": [f"One of: {known}."]})
    if kind not in partner.answers:
        raise Invalid(
            "This partner does not answer this request kind.", fields={"kind": ["Not answered here."]}
        )
    if expires_at <= timezone.now():
        raise Invalid("A grant must expire in the future.", fields={"expires_at": ["Must be in the future."]})
    with transaction.atomic():
        grant, created = Grant.objects.update_or_create(
            group=unit.group,
            permission=send_permission(kind),
            content_object=partner,
            defaults={
                "expires_at": expires_at,
                "legal_basis": legal_basis,
                "granted_by": actor if isinstance(actor, Person) else None,
            },
        )
        event_record(
            actor=actor,
            action=PartnerAction.GRANT_CREATED,
            target=grant,
            details={
                "unit": unit.code,
                "partner": partner.code,
                "kind": kind,
                "expires_at": expires_at.isoformat(),
                "renewed": not created,
            },
        )
        return grant


def grant_revoke(*, actor: Actor | None, grant_id: int) -> Grant:
    """Withdraw a grant at once; returns it as it was, which the audit log keeps too."""
    grant = access_grant_by_id(actor=actor, grant_id=grant_id)
    with transaction.atomic():
        details = {"unit": grant.unit_code, "partner": grant.content_object.code, "kind": grant.request_kind}
        deleted, _ = Grant.objects.filter(pk=grant.pk).delete()
        if deleted:
            event_record(
                actor=actor,
                action=PartnerAction.GRANT_REVOKED,
                target_type="partners.grant",
                target_id=str(grant_id),
                details=details,
            )
        return grant
