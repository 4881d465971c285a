"""Writes of the partner registry. Each one checks its actor, acts and audits in one transaction.

The actor is an administrator (a `Person`) or, for management commands run on the server, a
string naming the command (`"system:create_partner"`): whoever holds the shell is trusted.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from api.exceptions import Conflict, Forbidden, Invalid
from audit.choices import AuditAction
from audit.services import event_record

from .choices import (
    ANSWERING_KINDS,
    KINDS_ANSWERED_BY,
    ROLES_BY_PARTNER_KIND,
    Delivery,
    PartnerKind,
    PartnerStatus,
    RequestKind,
    Role,
    send_permission,
)
from .models import AdapterKey, Grant, Partner, Person

API_KEY_PREFIX = "afx"


def _require_administrator(actor: Any) -> None:
    if isinstance(actor, str) and actor.startswith("system:"):
        return
    if getattr(actor, "role", None) != Role.ADMINISTRATOR or not actor.is_active:
        raise Forbidden("Only administrators manage the partner registry.")


def _validate_reachability(kind: str, delivery: str, webhook_url: str, answers: Iterable[str]) -> list[str]:
    answers = sorted(set(answers))
    if kind not in ANSWERING_KINDS:
        if delivery or webhook_url or answers:
            raise Invalid(
                "Only banks, payment platforms and telecom operators answer requests.", code="not_answering"
            )
        return []
    allowed = KINDS_ANSWERED_BY[PartnerKind(kind)]
    unknown = [a for a in answers if a not in allowed]
    if unknown:
        raise Invalid(
            "This kind of partner cannot answer these request kinds.",
            fields={"answers": [f"Not answered by a {kind}: {', '.join(unknown)}."]},
        )
    if delivery not in Delivery.values:
        raise Invalid(
            "An answering partner is reached by push or pull.", fields={"delivery": ["push or pull"]}
        )
    if delivery == Delivery.PUSH and not webhook_url:
        raise Invalid("A push partner needs a webhook URL.", fields={"webhook_url": ["Required for push."]})
    if delivery == Delivery.PULL and webhook_url:
        raise Invalid("A pull partner has no webhook URL.", fields={"webhook_url": ["Only for push."]})
    if webhook_url and not webhook_url.startswith("https://") and not settings.AFX_ALLOW_HTTP_WEBHOOKS:
        # The push body carries what is asked about: it travels only over TLS.
        raise Invalid("A webhook must use HTTPS.", fields={"webhook_url": ["Must start with https://."]})
    return answers


def _validate_formats(input_formats: dict[str, str]) -> dict[str, str]:
    for name, pattern in input_formats.items():
        try:
            re.compile(pattern)
        except re.error:
            raise Invalid(
                "Not a regular expression.", fields={"input_formats": [f"{name}: invalid."]}
            ) from None
    return input_formats


@transaction.atomic
def partner_create(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    delivery: str = "",
    webhook_url: str = "",
    answers: Iterable[str] = (),
    input_formats: dict[str, str] | None = None,
) -> Partner:
    """Register a partner and the group its grants are given to.

    `input_formats` maps an input name to the regular expression its values must match at this
    partner (e.g. a platform's order numbers), checked before a query is accepted.
    """
    _require_administrator(actor)
    if kind not in PartnerKind.values:
        raise Invalid("Unknown partner kind.", fields={"kind": [f"One of: {', '.join(PartnerKind.values)}."]})
    answered = _validate_reachability(kind, delivery, webhook_url, answers)
    if Partner.objects.filter(code=code).exists():
        raise Conflict("A partner with this code exists.", fields={"code": ["Already taken."]})
    group = Group.objects.create(name=f"partner:{code}")
    partner = Partner(
        code=code,
        name=name,
        kind=kind,
        delivery=delivery,
        webhook_url=webhook_url,
        answers=answered,
        input_formats=_validate_formats(input_formats or {}),
        group=group,
    )
    partner.full_clean(exclude=["group"])
    partner.save()
    event_record(
        actor=actor,
        action=AuditAction.PARTNER_CREATED,
        target=partner,
        details={"code": code, "kind": kind, "delivery": delivery, "answers": answered},
    )
    return partner


@transaction.atomic
def partner_set_status(*, actor: Any, partner: Partner, status: str) -> Partner:
    """Suspend or reactivate a partner; a suspension stops its traffic at the next request."""
    _require_administrator(actor)
    if status not in PartnerStatus.values:
        raise Invalid("Unknown status.", fields={"status": [f"One of: {', '.join(PartnerStatus.values)}."]})
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if partner.status == status:
        return partner
    partner.status = status
    partner.save(update_fields=["status", "updated_at"])
    action = (
        AuditAction.PARTNER_SUSPENDED
        if status == PartnerStatus.SUSPENDED
        else AuditAction.PARTNER_REACTIVATED
    )
    event_record(actor=actor, action=action, target=partner, details={"code": partner.code})
    return partner


@transaction.atomic
def person_create(
    *, actor: Any, partner: Partner, username: str, role: str, password: str | None = None
) -> tuple[Person, str]:
    """Create a person of `partner` in `role`; returns the person and their initial password."""
    _require_administrator(actor)
    allowed_roles = ROLES_BY_PARTNER_KIND[PartnerKind(partner.kind)]
    if role not in allowed_roles:
        raise Invalid(
            "This role does not exist at this kind of partner.",
            fields={"role": [f"At a {partner.kind}: {', '.join(sorted(allowed_roles))}."]},
        )
    if Person.objects.filter(username=username).exists():
        raise Conflict("A person with this username exists.", fields={"username": ["Already taken."]})
    password = password or secrets.token_urlsafe(15)
    person = Person(username=username, partner=partner, role=role, is_superuser=role == Role.ADMINISTRATOR)
    person.set_password(password)
    person.full_clean(exclude=["password"])
    person.save()
    person.groups.add(partner.group)
    event_record(
        actor=actor,
        action=AuditAction.PERSON_CREATED,
        target=person,
        details={"partner": partner.code, "role": role},
    )
    return person, password


@transaction.atomic
def person_deactivate(*, actor: Any, person: Person) -> Person:
    """Stop a person from signing in and end every token they hold."""
    _require_administrator(actor)
    person.is_active = False
    person.save(update_fields=["is_active"])
    revoked, _ = AuthToken.objects.filter(user=person).delete()
    event_record(
        actor=actor, action=AuditAction.PERSON_DEACTIVATED, target=person, details={"tokens_revoked": revoked}
    )
    return person


@dataclass(frozen=True)
class IssuedKey:
    """A new adapter key with the two secrets shown once, at creation, and never again."""

    key: AdapterKey
    api_key: str
    signing_secret: str


def api_key_digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


@transaction.atomic
def adapter_key_create(*, actor: Any, partner: Partner, label: str = "") -> IssuedKey:
    """Issue an adapter key; a partner may hold two active keys at once, to rotate."""
    _require_administrator(actor)
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if partner.kind not in ANSWERING_KINDS:
        raise Invalid("Only answering partners have adapters.", code="not_answering")
    if partner.adapter_keys.active().count() >= AdapterKey.MAX_ACTIVE_PER_PARTNER:
        raise Conflict("This partner already holds two active keys; revoke one first.", code="too_many_keys")
    key_id = secrets.token_hex(6)
    api_key = f"{API_KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(24)}"
    signing_secret = secrets.token_urlsafe(32)
    key = AdapterKey.objects.create(
        partner=partner,
        key_id=key_id,
        key_digest=api_key_digest(api_key),
        signing_secret=signing_secret,
        label=label,
        created_by=actor if isinstance(actor, Person) else None,
    )
    event_record(
        actor=actor,
        action=AuditAction.KEY_CREATED,
        target=key,
        details={"partner": partner.code, "key_id": key_id},
    )
    return IssuedKey(key=key, api_key=api_key, signing_secret=signing_secret)


@transaction.atomic
def adapter_key_revoke(*, actor: Any, key: AdapterKey) -> AdapterKey:
    """Revoke a key at once: the next request signed with it is refused."""
    _require_administrator(actor)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        event_record(
            actor=actor,
            action=AuditAction.KEY_REVOKED,
            target=key,
            details={"partner": key.partner.code, "key_id": key.key_id},
        )
    return key


@transaction.atomic
def grant_create(
    *, actor: Any, unit: Partner, partner: Partner, kind: str, expires_at: datetime, legal_basis: str = ""
) -> Grant:
    """Let police `unit` send `kind` requests to `partner` until `expires_at`; renews an existing grant."""
    _require_administrator(actor)
    if unit.kind != PartnerKind.POLICE_UNIT:
        raise Invalid("Grants are given to police units.", fields={"unit": ["Not a police unit."]})
    if kind not in RequestKind.values:
        raise Invalid("Unknown request kind.", fields={"kind": [f"One of: {', '.join(RequestKind.values)}."]})
    if kind not in partner.answers:
        raise Invalid(
            "This partner does not answer this request kind.", fields={"kind": ["Not answered here."]}
        )
    if expires_at <= timezone.now():
        raise Invalid("A grant must expire in the future.", fields={"expires_at": ["Must be in the future."]})
    permission = Permission.objects.get(content_type__app_label="partners", codename=send_permission(kind))
    grant, created = Grant.objects.update_or_create(
        group=unit.group,
        permission=permission,
        content_object=partner,
        defaults={
            "expires_at": expires_at,
            "legal_basis": legal_basis,
            "granted_by": actor if isinstance(actor, Person) else None,
        },
    )
    event_record(
        actor=actor,
        action=AuditAction.GRANT_CREATED,
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


@transaction.atomic
def grant_revoke(*, actor: Any, grant: Grant) -> None:
    """Withdraw a grant at once; the audit log keeps what it was."""
    _require_administrator(actor)
    details = {"unit": grant.unit_code, "partner": grant.content_object.code, "kind": grant.request_kind}
    target_id = str(grant.pk)
    grant.delete()
    event_record(
        actor=actor,
        action=AuditAction.GRANT_REVOKED,
        target_type="partners.grant",
        target_id=target_id,
        details=details,
    )


@transaction.atomic
def token_issue(*, person: Person) -> tuple[str, datetime]:
    """An expiring API token for a person who has just proven their password."""
    instance, token = AuthToken.objects.create(user=person)
    event_record(
        actor=person,
        action=AuditAction.TOKEN_ISSUED,
        target_type="knox.authtoken",
        target_id=instance.token_key,
        details={"expires_at": instance.expiry.isoformat() if instance.expiry else None},
    )
    return token, instance.expiry


@transaction.atomic
def token_revoke(*, person: Person, token: AuthToken) -> None:
    """End the token the caller signed this request with."""
    token_key = token.token_key
    token.delete()
    event_record(
        actor=person, action=AuditAction.TOKEN_REVOKED, target_type="knox.authtoken", target_id=token_key
    )
