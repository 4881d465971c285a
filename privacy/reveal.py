"""The one way plaintext leaves the gateway to a person: an explicit, audited reveal with a purpose.

Only police officers and supervisors of an active unit may reveal; auditors, administrators,
partners' operators and adapters never see plaintext this way, and secrets (adapter
signing secrets) are never revealable. Every attempt, allowed or denied, is recorded
with the field name and the purpose, never the value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models, transaction

from audit.choices import AuditAction, Outcome
from audit.services import event_record
from partners.identity import is_police

from .choices import Kind
from .errors import RevealDenied
from .fields import EncryptedTextField

if TYPE_CHECKING:
    from partners.models import Person

MAX_PURPOSE_LENGTH = 300


def reveal_field(*, actor: Person, obj: models.Model, field_name: str, purpose: str) -> str:
    """Return the plaintext of `obj.<field_name>` to `actor` for `purpose`, or raise `RevealDenied`.

    The audit event is written in the same transaction as the decryption; a denied attempt
    is recorded too, and committed before the refusal is raised.
    """
    field = obj._meta.get_field(field_name)
    if not isinstance(field, EncryptedTextField):
        raise ValueError(f"{obj._meta.label}.{field_name} is not an encrypted field.")
    purpose = " ".join(purpose.split())[:MAX_PURPOSE_LENGTH]
    refusal = _refusal(actor, field, purpose)
    details = {"field": field_name, "purpose": purpose}
    with transaction.atomic():
        if refusal is None:
            event_record(actor=actor, action=AuditAction.PLAINTEXT_REVEALED, target=obj, details=details)
            plaintext: str = getattr(obj, field.attname)
            return plaintext
        event_record(
            actor=actor,
            action=AuditAction.PLAINTEXT_REVEALED,
            outcome=Outcome.DENIED,
            target=obj,
            details={**details, "refusal": refusal},
        )
    raise RevealDenied(refusal)


def _refusal(actor: Person, field: EncryptedTextField, purpose: str) -> str | None:
    if field.kind == Kind.SECRET:
        return "Secrets are never revealed."
    if not is_police(actor):
        return "Only police officers and supervisors may reveal personal data."
    if not (actor.is_active and actor.partner.is_active):
        return "Inactive people and suspended units may not reveal personal data."
    if not purpose:
        return "A reveal must name its purpose."
    return None
