"""Reaching a registry object on behalf of an actor: the partner registry's access layer.

Every service and selector of `partners` resolves what it acts on here, by the key its
caller names, so a view, the admin, a command and the coming web pages get one answer.
Scope itself is stated once, in `partners.querysets` (`restrict`); this layer applies it
through `audit.access.access_object`:

- an object the actor may not see is missing: `NotFound`, audited once (by `access_object`);
- an object the actor may see but not change (`CHANGE`): `Forbidden`, audited once, here;
- an act on no object by someone who may not write the registry (creating a partner), or
  an act only a person does for themselves by anyone else: `Forbidden`, audited once, here.

Refusals are recorded before they are raised and outside the services' transactions, so
rolling the act back does not take its denial with it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from knox.models import AuthToken

from audit.access import access_object
from audit.denials import denial_record
from core.actors import Actor
from core.errors import Forbidden, NotFound

from .models import AdapterKey, Grant, Partner, Person
from .querysets import CHANGE, VIEW, TokenQuerySet, registry_writer

M = TypeVar("M", bound=models.Model)


class RegistryForbidden(Forbidden):
    audited = True  # `partners.access` records the refusal before raising it


def _denied(
    actor: Actor | None,
    target: models.Model | None,
    reason: str,
    message: str = "Only administrators change the partner registry.",
) -> RegistryForbidden:
    denial_record(
        actor=actor,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        details={"status": 403, "code": Forbidden.code, "reason": reason},
    )
    return RegistryForbidden(message)


def require_registry_writer(actor: Actor | None) -> None:
    """For an act that names no object yet (registering a partner): administrators only."""
    if not registry_writer(actor):
        raise _denied(actor, None, "not_registry_writer")


def require_person(actor: Actor | None) -> Person:
    """For what only a person does for themselves (a password, a sign-in token)."""
    if not isinstance(actor, Person):
        raise _denied(actor, None, "not_a_person", "Only a person may do this.")
    return actor


def _access(actor: Actor | None, model: type[M], action: str, queryset: Any = None, **lookup: Any) -> M:
    found = access_object(actor=actor, model=model, action=VIEW, queryset=queryset, **lookup)
    if action != VIEW and not registry_writer(actor):
        raise _denied(actor, found, "view_only")
    return found


def access_partner_by_code(*, actor: Actor | None, code: str, action: str = CHANGE) -> Partner:
    return _access(actor, Partner, action, code=code)


def access_person_by_username(*, actor: Actor | None, username: str, action: str = CHANGE) -> Person:
    return _access(actor, Person, action, Person.objects.select_related("partner"), username=username)


def access_key_by_id(*, actor: Actor | None, key_id: str, action: str = CHANGE) -> AdapterKey:
    """An adapter key by the id its signatures name (`keyid`), not by its primary key."""
    return _access(actor, AdapterKey, action, AdapterKey.objects.select_related("partner"), key_id=key_id)


def access_grant_by_id(*, actor: Actor | None, grant_id: int, action: str = CHANGE) -> Grant:
    grants = Grant.objects.select_related("group", "permission", "content_object")
    return _access(actor, Grant, action, grants, pk=grant_id)


def access_token_by_digest(*, actor: Actor | None, digest: str) -> AuthToken:
    """A sign-in token, to end it: the holder's own, or anyone's for a registry writer."""
    tokens = TokenQuerySet(model=AuthToken).select_related("user")
    return access_object(
        actor=actor,
        model=AuthToken,
        action=CHANGE,
        queryset=tokens,
        audit_id_field="token_key",
        digest=digest,
    )


def refuse_as_missing(*, actor: Actor | None, target: models.Model, reason: str) -> NotFound:
    """The not-found of an object the actor may see but not act on in this way (a person whose
    code the actor may not witness), recorded as `access_object` records one out of scope."""
    denial_record(
        actor=actor,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        details={"status": 404, "code": NotFound.code, "reason": reason},
    )
    return NotFound("Not found.")
