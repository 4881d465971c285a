"""The one way to record an audit event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django_guid import get_guid

from .choices import ActorType, AuditAction, Outcome
from .context import current_source_address
from .models import AuditEvent


def _actor_fields(actor: Any) -> dict[str, str]:
    """Describe a person, an adapter, nobody (None) or the system ("system:<what>") as text."""
    if actor is None:
        return {"actor_type": ActorType.ANONYMOUS, "actor_id": "", "actor_partner": "", "actor_role": ""}
    if isinstance(actor, str):
        return {"actor_type": ActorType.SYSTEM, "actor_id": actor, "actor_partner": "", "actor_role": ""}
    partner = getattr(actor, "partner", None)
    return {
        "actor_type": ActorType.ADAPTER if getattr(actor, "is_adapter", False) else ActorType.PERSON,
        "actor_id": actor.actor_label,
        "actor_partner": partner.code if partner is not None else "",
        "actor_role": str(getattr(actor, "role", "")),
    }


def event_record(
    *,
    actor: Any,
    action: AuditAction,
    outcome: Outcome = Outcome.ALLOWED,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    case_id: str = "",
    details: Mapping[str, object] | None = None,
) -> AuditEvent:
    """Append one event; call it inside the transaction of the act it records.

    `actor` is a person, an adapter principal, None for an anonymous caller, or a string
    naming a system actor (a management command or task). `target` may be given as a model
    instance or as `target_type`/`target_id`. `details` must hold no plaintext personal data.
    """
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
    return AuditEvent.objects.create(
        **_actor_fields(actor),
        action=action,
        outcome=outcome,
        target_type=target_type,
        target_id=target_id,
        case_id=case_id,
        request_id=get_guid() or "",
        source_address=current_source_address() or None,
        details=dict(details or {}),
    )
