"""The one way plaintext leaves the gateway to a person: an explicit, audited reveal with a purpose.

Only police officers and supervisors of an active unit may reveal; auditors, administrators,
partners' operators and adapters never see plaintext this way, and secrets (adapter
signing secrets) are never revealable. Every attempt, allowed or denied, is recorded
with the field name and the purpose, never the value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import models, transaction

from audit.choices import AuditAction, Outcome
from audit.services import event_record
from core.actors import is_police
from privacy.choices import Kind
from privacy.errors import RevealDenied
from privacy.fields import EncryptedTextField

if TYPE_CHECKING:
    from partners.models import Person

MAX_PURPOSE_LENGTH = 300


def reveal_field(
    *, actor: Person, obj: models.Model, field_name: str, purpose: str, case_id: str = ""
) -> str:
    """The plaintext of one field: `reveal_fields` for a single name."""
    return reveal_fields(actor=actor, obj=obj, field_names=[field_name], purpose=purpose, case_id=case_id)[
        field_name
    ]


def reveal_fields(
    *, actor: Person, obj: models.Model, field_names: Sequence[str], purpose: str, case_id: str = ""
) -> dict[str, str]:
    """The plaintext of each `obj.<field>` to `actor` for `purpose`, or raise `RevealDenied`.

    All or nothing, in one transaction: one audit event per field (so volumes count fields
    read), written with the decryption; if one field cannot be revealed or decrypted, none
    is, and no allowed event remains. A denied attempt is recorded too, field by field, and
    committed before the refusal is raised. `case_id` names the case the object belongs
    to, so an auditor reviewing a case sees who read its plaintext.
    """
    fields = [_encrypted_field(obj, name) for name in field_names]
    purpose = " ".join(purpose.split())[:MAX_PURPOSE_LENGTH]
    refusal = next((r for r in (_refusal(actor, field, purpose) for field in fields) if r), None)
    with transaction.atomic():
        for name in field_names:
            event_record(
                actor=actor,
                action=AuditAction.PLAINTEXT_REVEALED,
                outcome=Outcome.ALLOWED if refusal is None else Outcome.DENIED,
                target=obj,
                case_id=case_id,
                details={"field": name, "purpose": purpose, **({"refusal": refusal} if refusal else {})},
            )
        if refusal is None:
            return {field.name: getattr(obj, field.attname) for field in fields}
    raise RevealDenied(refusal)


def _encrypted_field(obj: models.Model, field_name: str) -> EncryptedTextField:
    field = obj._meta.get_field(field_name)
    if not isinstance(field, EncryptedTextField):
        raise ValueError(f"{obj._meta.label}.{field_name} is not an encrypted field.")
    return field


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
