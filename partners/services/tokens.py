"""Sign-in tokens: issued to a person who has just proven their password, ended by them
(signing out) or by an administrator."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from knox.models import AuthToken
from knox.settings import knox_settings

from audit.choices import Outcome
from audit.services import event_record
from core.actors import Actor
from core.errors import Forbidden
from partners.access import access_token_by_digest, require_person
from partners.audit_actions import PartnerAction
from partners.models import Person
from partners.revocation import token_end


class TokenRefused(Forbidden):
    audited = True  # `token_issue` records the refusal before raising it


def _token_refusal(person: Person, password_hash: str) -> TokenRefused | None:
    if not person.is_active:
        return TokenRefused("This account is inactive.", code="person_inactive")
    if not person.has_usable_password() or not constant_time_compare(person.password, password_hash):
        return TokenRefused("The password changed while signing in; sign in again.", code="password_changed")
    if not person.partner.is_active:
        return TokenRefused(
            "Your partner is suspended; all of its traffic is stopped.", code="partner_suspended"
        )
    return None


def token_issue(*, actor: Actor | None, password_hash: str) -> tuple[str, datetime | None]:
    """An expiring API token for a person who has just proven their password (`actor`): the only
    way a token is made, so nobody (an administrator included) can hold a credential of someone else.

    An inactive person or a person of a suspended partner is refused (403, recorded); the
    check is here, where the token is made, so no caller can skip it. A person holds at most
    `TOKEN_LIMIT_PER_USER` live tokens (knox enforces it only in its own login view, which AFX
    does not use): the oldest is revoked to make room, so a forgotten or stolen token goes
    first and nobody is locked out by tokens they no longer have.

    `password_hash` is the hash the password was checked against (the caller's `authenticate`
    ran before this lock): if a reset, a password change or a deactivation committed in
    between, the hash differs (or is unusable) and no token is made for the old password.
    """
    signed_in = require_person(actor)
    with transaction.atomic():
        # Locked: two sign-ins of one person count and revoke their tokens one after the other.
        person = Person.objects.select_for_update(of=("self",)).select_related("partner").get(pk=signed_in.pk)
        refusal = _token_refusal(person, password_hash)
        if refusal is None:
            for oldest in _tokens_over_limit(person):
                token_end(actor=person, token=oldest, reason="token_limit")
            instance, token = AuthToken.objects.create(user=person)
            event_record(
                actor=person,
                action=PartnerAction.TOKEN_ISSUED,
                target=person,
                details={
                    "token_key": instance.token_key,
                    "expires_at": instance.expiry.isoformat() if instance.expiry else None,
                },
            )
            return token, instance.expiry
        event_record(
            actor=person,
            action=PartnerAction.TOKEN_ISSUED,
            outcome=Outcome.DENIED,
            target=person,
            details={"reason": refusal.code},
        )
    raise refusal


def _tokens_over_limit(person: Person) -> list[AuthToken]:
    """The person's oldest live tokens that must go for one more to fit under the limit."""
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is None:
        return []
    live = AuthToken.objects.filter(
        Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()), user=person
    ).order_by("created")
    return list(live[: max(live.count() - limit + 1, 0)])


def token_revoke(*, actor: Actor | None, digest: str) -> None:
    """End a token, named by its digest: the caller's own (signing out), or anyone's by an
    administrator, recorded with the administrator as actor and the token's holder as target."""
    found = access_token_by_digest(actor=actor, digest=digest)
    with transaction.atomic():
        token = (
            AuthToken.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=found.pk)
            .first()
        )
        if token is not None:
            token_end(actor=actor, token=token)
