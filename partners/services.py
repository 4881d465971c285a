"""Writes of the partner registry. Each one checks its actor, acts and audits in one transaction.

The actor is an administrator (a `Person`) or, for management commands run on the server, a
string naming the command (`SystemActor("create_partner")`): whoever holds the shell is trusted.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from knox.models import AuthToken
from knox.settings import knox_settings

from afx_sdk import signing
from audit.choices import Outcome
from audit.denials import denial_record
from audit.services import event_record
from core.actors import SystemActor
from core.errors import Conflict, Forbidden, Invalid, NotFound, TooManyAttempts
from partners.audit_actions import PartnerAction

from . import enrolment
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
from .models import AdapterKey, Enrolment, Grant, Partner, Person


def _require_administrator(actor: Any) -> None:
    if isinstance(actor, SystemActor):
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
        action=PartnerAction.PARTNER_CREATED,
        target=partner,
        details={"code": code, "kind": kind, "delivery": delivery, "answers": answered},
    )
    return partner


class ExchangeNotSuspendable(Conflict):
    code = "exchange_not_suspendable"
    audited = True  # `partner_set_status` records the refusal before raising it


def partner_set_status(*, actor: Any, partner: Partner, status: str) -> Partner:
    """Suspend or reactivate a partner; a suspension stops its traffic at the next request.

    The exchange itself (kind `exchange`) is never suspended: administrators belong to it, so
    its suspension would lock every one of them out of the API and the admin, leaving only a
    shell command to undo it. The refusal is recorded, and committed, before it is raised.
    """
    _require_administrator(actor)
    if status not in PartnerStatus.values:
        raise Invalid("Unknown status.", fields={"status": [f"One of: {', '.join(PartnerStatus.values)}."]})
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        if not (status == PartnerStatus.SUSPENDED and partner.kind == PartnerKind.EXCHANGE):
            return _partner_status_change(actor, partner, status)
        event_record(
            actor=actor,
            action=PartnerAction.PARTNER_SUSPENDED,
            outcome=Outcome.DENIED,
            target=partner,
            details={"code": partner.code, "reason": ExchangeNotSuspendable.code},
        )
    raise ExchangeNotSuspendable(
        "The exchange itself cannot be suspended: its administrators would be locked out."
    )


def _partner_status_change(actor: Any, partner: Partner, status: str) -> Partner:
    if partner.status == status:
        return partner
    partner.status = status
    partner.save(update_fields=["status", "updated_at"])
    action = (
        PartnerAction.PARTNER_SUSPENDED
        if status == PartnerStatus.SUSPENDED
        else PartnerAction.PARTNER_REACTIVATED
    )
    event_record(actor=actor, action=action, target=partner, details={"code": partner.code})
    return partner


@transaction.atomic
def person_create(*, actor: Any, partner: Partner, username: str, role: str) -> tuple[Person, str]:
    """Create a person of `partner` in `role`; returns the person and what the actor is shown
    of their enrolment code (`_custody_open`: the first half for an administrator).

    The person has no usable password: nobody can sign in as them until they enrol with the
    code (`person_enrol`) and a password only they know. AFX keeps only the code's digest.
    """
    _require_administrator(actor)
    allowed_roles = ROLES_BY_PARTNER_KIND[PartnerKind(partner.kind)]
    if role not in allowed_roles:
        raise Invalid(
            "This role does not exist at this kind of partner.",
            fields={"role": [f"At a {partner.kind}: {', '.join(sorted(allowed_roles))}."]},
        )
    if Person.objects.filter(username=username).exists():
        raise Conflict("A person with this username exists.", fields={"username": ["Already taken."]})
    person = Person(username=username, partner=partner, role=role, is_superuser=role == Role.ADMINISTRATOR)
    person.set_unusable_password()
    halves = enrolment.enrolment_open(person)
    person.full_clean(exclude=["password"])
    person.save()
    code = _custody_open(actor, person, halves)
    person.groups.add(partner.group)
    event_record(
        actor=actor,
        action=PartnerAction.PERSON_CREATED,
        target=person,
        details={"partner": partner.code, "role": role, "enrolment_expires_at": _moment(person)},
    )
    return person, code


def _custody_open(actor: Any, person: Person, halves: tuple[str, str]) -> str:
    """What the maker of a code is shown, keeping the rest in custody (`models.Enrolment`).

    An administrator gets the first half only; the second is kept encrypted until a witness
    takes it (`person_enrolment_witness`). The server's shell is trusted (it could read the
    database key anyway), so a management command gets both halves, one after the other.
    """
    first, second = halves
    trusted = isinstance(actor, SystemActor)
    Enrolment.objects.update_or_create(
        person=person,
        defaults={
            "second_half": "" if trusted else second,
            "made_by": _actor_label(actor),
            "witness": "",
            "released_at": timezone.now() if trusted else None,
        },
    )
    return first + second if trusted else first


def _actor_label(actor: Any) -> str:
    return str(actor.actor_label)


class AlreadyReleased(Conflict):
    code = "already_released"


@transaction.atomic
def person_enrolment_witness(*, actor: Any, person: Person) -> str:
    """Release the second half of `person`'s pending code, once, to a witness; recorded.

    The witness is a supervisor of the person's own partner when it has an active one (other
    than the person), otherwise an administrator other than the one who made the code: the
    maker never becomes the witness, so no one person holds both halves. Anyone else, and a
    person with no pending code held in custody, get 404 like a missing person; a half
    already released is a 409 `already_released`.
    """
    custody = Enrolment.objects.select_for_update().filter(person_id=person.pk).first()
    person = Person.objects.select_related("partner").get(pk=person.pk)
    pending = (
        custody is not None
        and bool(custody.second_half or custody.witness)  # a code shown whole had no custody
        and person.is_active
        and person.enrolment_expires_at is not None
        and timezone.now() < person.enrolment_expires_at
    )
    if custody is None or not pending or not _may_witness(actor, person, custody):
        raise NotFound("Not found.")
    if custody.released_at is not None:
        raise AlreadyReleased("The second half of this code was released already.")
    second_half = custody.second_half
    custody.second_half, custody.witness, custody.released_at = "", _actor_label(actor), timezone.now()
    custody.save(update_fields=["second_half", "witness", "released_at"])
    event_record(
        actor=actor,
        action=PartnerAction.ENROLMENT_WITNESSED,
        target=person,
        details={"made_by": custody.made_by, "enrolment_expires_at": _moment(person)},
    )
    return second_half


def _may_witness(actor: Any, person: Person, custody: Enrolment) -> bool:
    if not isinstance(actor, Person) or not actor.is_active or actor.pk == person.pk:
        return False
    if actor.actor_label == custody.made_by:
        return False
    supervisors = Person.objects.filter(partner_id=person.partner_id, role=Role.SUPERVISOR, is_active=True)
    if supervisors.exclude(pk=person.pk).exists():
        return actor.role == Role.SUPERVISOR and actor.partner_id == person.partner_id
    return actor.role == Role.ADMINISTRATOR


def _moment(person: Person) -> str | None:
    expires_at = person.enrolment_expires_at
    return expires_at.isoformat() if expires_at else None


@transaction.atomic
def person_enrolment_reset(*, actor: Any, person: Person) -> str:
    """Start a person's enrolment over, for one who lost their password or code: their
    password stops working, every token they hold is revoked, and a new code is made, of which
    the actor is shown what `_custody_open` says. The administrator still never sets a
    credential, nor holds a whole code: the person's own enrolment sets it."""
    _require_administrator(actor)
    person = Person.objects.select_for_update().get(pk=person.pk)
    if not person.is_active:
        raise Conflict("This person is deactivated.", code="person_inactive")
    person.set_unusable_password()
    code = _custody_open(actor, person, enrolment.enrolment_open(person))
    person.save(update_fields=["password", "enrolment_digest", "enrolment_expires_at"])
    _tokens_end(actor=actor, tokens=AuthToken.objects.filter(user=person), reason="enrolment_reset")
    event_record(
        actor=actor,
        action=PartnerAction.ENROLMENT_RESET,
        target=person,
        details={"enrolment_expires_at": _moment(person)},
    )
    return code


class EnrolmentRefused(Invalid):
    code = "enrolment_refused"
    audited = True  # `person_enrol` records the refusal (`denial_record`) before raising it


def person_enrol(*, request: Any, username: str, code: str, password: str) -> Person:
    """A person sets their own password with their enrolment code; the code is then used up.

    Anonymous: the code (both halves, one after the other) is the proof. The event records who
    made the code and who witnessed it: the only people who could have enrolled instead.
    An unknown username, a wrong, expired or used code, a
    deactivated person and a person of a suspended partner get one answer. The refusal is
    recorded as a denied request (`denial_record`): route and reason, within the anonymous
    budget per address, and naming nobody, since whoever calls chooses the username and could
    otherwise fill any person's audit trail. The password must pass Django's validators (400
    naming `password`; the code stays valid).
    """
    with transaction.atomic():
        person = (
            Person.objects.select_for_update(of=("self",))
            .select_related("partner")
            .filter(username=username, is_active=True)
            .first()
        )
        matched = enrolment.enrolment_matches(person, code, timezone.now())
        if matched and person is not None and person.partner.is_active:
            _password_validate(person, password, field="password")
            custody = Enrolment.objects.filter(person=person).first()
            held_by = {"made_by": custody.made_by, "witness": custody.witness} if custody else {}
            person.set_password(password)
            enrolment.enrolment_close(person)
            person.save(update_fields=["password", "enrolment_digest", "enrolment_expires_at"])
            event_record(actor=person, action=PartnerAction.PERSON_ENROLLED, target=person, details=held_by)
            return person
    denial_record(
        request=request,
        action=PartnerAction.PERSON_ENROLLED,
        actor=None,
        details={"reason": EnrolmentRefused.code},
    )
    raise EnrolmentRefused("The username or enrolment code is wrong, or the code has expired or been used.")


def _password_validate(person: Person, password: str, *, field: str) -> None:
    try:
        validate_password(password, user=person)
    except ValidationError as error:
        raise Invalid("Choose another password.", fields={field: list(error.messages)}) from None


class WrongPassword(Invalid):
    code = "wrong_password"
    audited = True  # `person_password_change` records the refusal before raising it


class PasswordChangeLocked(TooManyAttempts):
    code = "sign_in_locked"
    audited = True  # axes locked the person out; `partners.signals` records the attempt


def person_password_change(
    *, request: Any, person: Person, current_password: str, new_password: str, keep: AuthToken | None = None
) -> None:
    """A signed-in person changes their own password; every other token of theirs is revoked
    (`keep`, the token of the request, stays), so a session someone else holds ends here.

    The current password is checked by `authenticate` with the request, as a sign-in is, so
    django-axes counts a wrong one and locks the username after `AXES_FAILURE_LIMIT`: a stolen
    token alone gets no more guesses at the password than a stranger does (429 once locked).
    A wrong current password is refused and recorded. The check runs before the transaction,
    so a refusal raised in it cannot roll back the failure axes counted; under the lock the
    password must still be the one checked (as in `token_issue`).
    """
    checked = authenticate(request, username=person.username, password=current_password)
    if getattr(request, "axes_locked_out", False):
        raise PasswordChangeLocked("Too many wrong passwords; try again later.")
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if (
            isinstance(checked, Person)
            and checked.pk == person.pk
            and constant_time_compare(checked.password, person.password)
        ):
            _password_validate(person, new_password, field="new_password")
            person.set_password(new_password)
            person.save(update_fields=["password"])
            others = AuthToken.objects.filter(user=person).exclude(pk=keep.pk if keep is not None else None)
            _tokens_end(actor=person, tokens=others, reason="password_changed")
            event_record(actor=person, action=PartnerAction.PASSWORD_CHANGED, target=person)
            return
        event_record(
            actor=person,
            action=PartnerAction.PASSWORD_CHANGED,
            outcome=Outcome.DENIED,
            target=person,
            details={"reason": WrongPassword.code},
        )
    raise WrongPassword("The current password is wrong.", fields={"current_password": ["Wrong password."]})


@transaction.atomic
def person_deactivate(*, actor: Any, person: Person) -> Person:
    """Stop a person from signing in or enrolling, and end every token they hold, each recorded."""
    _require_administrator(actor)
    person.is_active = False
    enrolment.enrolment_close(person)
    person.save(update_fields=["is_active", "enrolment_digest", "enrolment_expires_at"])
    _tokens_end(actor=actor, tokens=AuthToken.objects.filter(user=person), reason="person_deactivated")
    event_record(actor=actor, action=PartnerAction.PERSON_DEACTIVATED, target=person)
    return person


def _canonical_public_key(public_key: str) -> str:
    try:
        return signing.public_key_text(signing.load_public_key(public_key))
    except ValueError:
        raise Invalid(
            "Not an Ed25519 public key.", fields={"public_key": ["base64url of the raw 32-byte key."]}
        ) from None


@transaction.atomic
def adapter_key_create(*, actor: Any, partner: Partner, public_key: str, label: str = "") -> AdapterKey:
    """Register an adapter's Ed25519 public key; a partner may hold two active keys at once, to rotate.

    The partner makes its key pair (`python -m afx_sdk.keygen`) and hands over the public key
    only: the private key never leaves the partner, so nobody at AFX can sign as its adapter.
    """
    _require_administrator(actor)
    public_key = _canonical_public_key(public_key)
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if partner.kind not in ANSWERING_KINDS:
        raise Invalid("Only answering partners have adapters.", code="not_answering")
    if partner.adapter_keys.active().count() >= AdapterKey.MAX_ACTIVE_PER_PARTNER:
        raise Conflict("This partner already holds two active keys; revoke one first.", code="too_many_keys")
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


@transaction.atomic
def adapter_key_revoke(*, actor: Any, key: AdapterKey) -> AdapterKey:
    """Revoke a key at once: the next request signed with it is refused."""
    _require_administrator(actor)
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


@transaction.atomic
def grant_revoke(*, actor: Any, grant: Grant) -> None:
    """Withdraw a grant at once; the audit log keeps what it was."""
    _require_administrator(actor)
    details = {"unit": grant.unit_code, "partner": grant.content_object.code, "kind": grant.request_kind}
    target_id = str(grant.pk)
    grant.delete()
    event_record(
        actor=actor,
        action=PartnerAction.GRANT_REVOKED,
        target_type="partners.grant",
        target_id=target_id,
        details=details,
    )


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


def token_issue(*, person: Person, password_hash: str) -> tuple[str, datetime]:
    """An expiring API token for a person who has just proven their password: the only way a
    token is made, so nobody (an administrator included) can hold a credential of someone else.

    An inactive person or a person of a suspended partner is refused (403, recorded); the
    check is here, where the token is made, so no caller can skip it. A person holds at most
    `TOKEN_LIMIT_PER_USER` live tokens (knox enforces it only in its own login view, which AFX
    does not use): the oldest is revoked to make room, so a forgotten or stolen token goes
    first and nobody is locked out by tokens they no longer have.

    `password_hash` is the hash the password was checked against (the caller's `authenticate`
    ran before this lock): if a reset, a password change or a deactivation committed in
    between, the hash differs (or is unusable) and no token is made for the old password.
    """
    with transaction.atomic():
        # Locked: two sign-ins of one person count and revoke their tokens one after the other.
        person = Person.objects.select_for_update(of=("self",)).select_related("partner").get(pk=person.pk)
        refusal = _token_refusal(person, password_hash)
        if refusal is None:
            for oldest in _tokens_over_limit(person):
                _token_end(actor=person, token=oldest, reason="token_limit")
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


@transaction.atomic
def token_revoke(*, actor: Any, token: AuthToken) -> None:
    """End a token: the caller's own (signing out), or anyone's by an administrator, recorded
    with the administrator as actor and the token's holder as target."""
    if not (isinstance(actor, Person) and actor.pk == token.user_id):
        _require_administrator(actor)
    _token_end(actor=actor, token=token)


def _tokens_end(*, actor: Any, tokens: QuerySet[AuthToken], reason: str) -> None:
    """End each of `tokens`, one `token_revoked` event apiece (as `token_issue` records each)."""
    for token in tokens.select_related("user").order_by("created"):
        _token_end(actor=actor, token=token, reason=reason)


def _token_end(*, actor: Any, token: AuthToken, reason: str = "") -> None:
    holder, token_key = token.user, token.token_key
    token.delete()
    event_record(
        actor=actor,
        action=PartnerAction.TOKEN_REVOKED,
        target=holder,
        details={"token_key": token_key, "reason": reason} if reason else {"token_key": token_key},
    )
