"""The one way plaintext leaves the gateway to a person: an explicit, audited reveal with a purpose.

Only police officers and supervisors of an active unit may reveal; auditors, administrators,
partners' operators and adapters never see plaintext this way, and secrets (adapter
signing secrets) are never revealable. Every attempt, allowed or denied, is recorded
with the field name and the purpose, never the value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from django.db import models, transaction

from audit.choices import AuditAction, Outcome
from audit.services import event_record
from core.actors import Actor, is_police
from privacy.choices import Kind
from privacy.errors import RevealDenied
from privacy.fields import EncryptedTextField

MAX_PURPOSE_LENGTH = 300


def reveal_field(*, actor: Actor, obj: models.Model, field_name: str, purpose: str, case_id: str = "") -> str:
    """The plaintext of one field: `reveal_fields` for a single name."""
    return reveal_fields(actor=actor, obj=obj, field_names=[field_name], purpose=purpose, case_id=case_id)[
        field_name
    ]


def reveal_fields(
    *, actor: Actor, obj: models.Model, field_names: Sequence[str], purpose: str, case_id: str = ""
) -> dict[str, str]:
    """The plaintext of each encrypted `obj.<field>`: `reveal_values`, named by the fields."""
    fields = [_encrypted_field(obj, name) for name in field_names]
    return reveal_values(
        actor=actor,
        target=obj,
        values=[
            Revealable(field.name, field.kind_of(obj), partial(getattr, obj, field.attname))
            for field in fields
        ],
        purpose=purpose,
        case_id=case_id,
    )


@dataclass(frozen=True)
class Revealable:
    """One personal value a reveal may hand out: the name it is returned and recorded under,
    its kind (`privacy.choices.Kind`), and how to read it, called only once the reveal is allowed.

    A value need not be a column of its own: a part of an encrypted document (an answer's
    account) is revealed, and audited, under its own name.
    """

    name: str
    kind: str
    read: Callable[[], str]


def reveal_values(
    *, actor: Actor, target: models.Model, values: Sequence[Revealable], purpose: str, case_id: str = ""
) -> dict[str, str]:
    """The plaintext of each value to `actor` for `purpose`, or raise `RevealDenied`.

    All or nothing, in one transaction: one audit event per value (so volumes count values
    read), naming `target` and written with the decryption; if one value cannot be revealed
    or decrypted, none is, and no allowed event remains. A denied attempt is recorded too,
    value by value, and committed before the refusal is raised. `case_id` names the case the
    target belongs to, so an auditor reviewing a case sees who read its plaintext.
    """
    purpose = " ".join(purpose.split())[:MAX_PURPOSE_LENGTH]
    refusal = next((r for r in (_refusal(actor, value.kind, purpose) for value in values) if r), None)
    with transaction.atomic():
        for value in values:
            event_record(
                actor=actor,
                action=AuditAction.PLAINTEXT_REVEALED,
                outcome=Outcome.ALLOWED if refusal is None else Outcome.DENIED,
                target=target,
                case_id=case_id,
                details={
                    "field": value.name,
                    "purpose": purpose,
                    **({"refusal": refusal} if refusal else {}),
                },
            )
        if refusal is None:
            return {value.name: value.read() for value in values}
    raise RevealDenied(refusal)


def _encrypted_field(obj: models.Model, field_name: str) -> EncryptedTextField:
    field = obj._meta.get_field(field_name)
    if not isinstance(field, EncryptedTextField):
        raise ValueError(f"{obj._meta.label}.{field_name} is not an encrypted field.")
    return field


def _refusal(actor: Actor, kind: str, purpose: str) -> str | None:
    if kind == Kind.SECRET:
        return "Secrets are never revealed."
    if not is_police(actor):
        return "Only police officers and supervisors may reveal personal data."
    if not (getattr(actor, "is_active", False) and actor.partner.is_active):
        return "Inactive people and suspended units may not reveal personal data."
    if not purpose:
        return "A reveal must name its purpose."
    return None
