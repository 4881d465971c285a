"""People: creating one, deactivating one, and the administrator's side of their enrolment
codes (starting an enrolment over, releasing a code's second half to its witness)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from audit.services import event_record
from core.actors import Actor, SystemActor
from core.errors import Conflict, Invalid
from core.roles import Role
from partners import enrolment
from partners.access import access_partner_by_code, access_person_by_username, refuse_as_missing
from partners.audit_actions import PartnerAction
from partners.choices import ROLES_BY_PARTNER_KIND, PartnerKind
from partners.models import Enrolment, Person
from partners.querysets import VIEW
from partners.revocation import tokens_end


def person_create(*, actor: Actor | None, partner_code: str, username: str, role: str) -> tuple[Person, str]:
    """Create a person of a partner in `role`; returns the person and what the actor is shown
    of their enrolment code (`_custody_open`: the first half for an administrator).

    The person has no usable password: nobody can sign in as them until they enrol with the
    code (`person_enrol`) and a password only they know. AFX keeps only the code's digest.
    """
    partner = access_partner_by_code(actor=actor, code=partner_code)
    allowed_roles = ROLES_BY_PARTNER_KIND[PartnerKind(partner.kind)]
    if role not in allowed_roles:
        raise Invalid(
            "This role does not exist at this kind of partner.",
            fields={"role": [f"At a {partner.kind}: {', '.join(sorted(allowed_roles))}."]},
        )
    with transaction.atomic():
        if Person.objects.filter(username=username).exists():
            raise Conflict("A person with this username exists.", fields={"username": ["Already taken."]})
        person = Person(
            username=username, partner=partner, role=role, is_superuser=role == Role.ADMINISTRATOR
        )
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


def _custody_open(actor: Actor | None, person: Person, halves: tuple[str, str]) -> str:
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
            "made_by": _label(actor),
            "witness": "",
            "released_at": timezone.now() if trusted else None,
        },
    )
    return first + second if trusted else first


def _label(actor: Actor | None) -> str:
    return str(actor.actor_label) if actor is not None else ""


def _moment(person: Person) -> str | None:
    expires_at = person.enrolment_expires_at
    return expires_at.isoformat() if expires_at else None


class AlreadyReleased(Conflict):
    code = "already_released"


def person_enrolment_witness(*, actor: Actor | None, username: str) -> str:
    """Release the second half of a person's pending code, once, to a witness; recorded.

    The witness is a supervisor of the person's own partner when it has an active one (other
    than the person), otherwise an administrator other than the one who made the code: the
    maker never becomes the witness, so no one person holds both halves. Anyone else, and a
    person with no pending code held in custody, get the not-found of a missing person
    (audited); a half already released is a 409 `already_released`.
    """
    person = access_person_by_username(actor=actor, username=username, action=VIEW)
    with transaction.atomic():
        custody = Enrolment.objects.select_for_update().filter(person_id=person.pk).first()
        person = Person.objects.select_related("partner").get(pk=person.pk)
        witnessed = custody is not None and _pending(person, custody) and _may_witness(actor, person, custody)
        if custody is not None and witnessed and custody.released_at is None:
            second_half = custody.second_half
            custody.second_half, custody.witness, custody.released_at = "", _label(actor), timezone.now()
            custody.save(update_fields=["second_half", "witness", "released_at"])
            event_record(
                actor=actor,
                action=PartnerAction.ENROLMENT_WITNESSED,
                target=person,
                details={"made_by": custody.made_by, "enrolment_expires_at": _moment(person)},
            )
            return second_half
    if witnessed:
        raise AlreadyReleased("The second half of this code was released already.")
    raise refuse_as_missing(actor=actor, target=person, reason="not_witness")


def _pending(person: Person, custody: Enrolment) -> bool:
    """A code not yet used nor expired, whose second half was held in custody (a code shown
    whole, from the shell, had none)."""
    return (
        bool(custody.second_half or custody.witness)
        and person.is_active
        and person.enrolment_expires_at is not None
        and timezone.now() < person.enrolment_expires_at
    )


def _may_witness(actor: Actor | None, person: Person, custody: Enrolment) -> bool:
    if not isinstance(actor, Person) or not actor.is_active or actor.pk == person.pk:
        return False
    if actor.actor_label == custody.made_by:
        return False
    supervisors = Person.objects.filter(partner_id=person.partner_id, role=Role.SUPERVISOR, is_active=True)
    if supervisors.exclude(pk=person.pk).exists():
        return actor.role == Role.SUPERVISOR and actor.partner_id == person.partner_id
    return actor.role == Role.ADMINISTRATOR


def person_enrolment_reset(*, actor: Actor | None, username: str) -> str:
    """Start a person's enrolment over, for one who lost their password or code: their
    password stops working, every token they hold is revoked, and a new code is made, of which
    the actor is shown what `_custody_open` says. The administrator still never sets a
    credential, nor holds a whole code: the person's own enrolment sets it."""
    found = access_person_by_username(actor=actor, username=username)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=found.pk)
        if not person.is_active:
            raise Conflict("This person is deactivated.", code="person_inactive")
        person.set_unusable_password()
        code = _custody_open(actor, person, enrolment.enrolment_open(person))
        person.save(update_fields=["password", "enrolment_digest", "enrolment_expires_at"])
        tokens_end(actor=actor, tokens=AuthToken.objects.filter(user=person), reason="enrolment_reset")
        event_record(
            actor=actor,
            action=PartnerAction.ENROLMENT_RESET,
            target=person,
            details={"enrolment_expires_at": _moment(person)},
        )
        return code


def person_deactivate(*, actor: Actor | None, username: str) -> Person:
    """Stop a person from signing in or enrolling, and end every token they hold, each recorded."""
    found = access_person_by_username(actor=actor, username=username)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=found.pk)
        person.is_active = False
        enrolment.enrolment_close(person)
        person.save(update_fields=["is_active", "enrolment_digest", "enrolment_expires_at"])
        tokens_end(actor=actor, tokens=AuthToken.objects.filter(user=person), reason="person_deactivated")
        event_record(actor=actor, action=PartnerAction.PERSON_DEACTIVATED, target=person)
        return person
