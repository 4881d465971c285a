"""A person's own password: set once with their enrolment code, then changed only by them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from knox.models import AuthToken

from audit.choices import Outcome
from audit.denials import denial_record
from audit.services import event_record
from core.actors import Actor
from core.errors import Invalid, TooManyAttempts
from partners import enrolment
from partners.access import require_person
from partners.audit_actions import PartnerAction
from partners.models import Enrolment, Person
from partners.revocation import tokens_end


class EnrolmentRefused(Invalid):
    code = "enrolment_refused"
    audited = True  # `person_enrol` records the refusal (`denial_record`) before raising it


def person_enrol(*, username: str, code: str, password: str) -> Person:
    """A person sets their own password with their enrolment code; the code is then used up.

    Anonymous, so it takes no actor: the code (both halves, one after the other) is the proof.
    The event records who made the code and who witnessed it: the only people who could have
    enrolled instead. An unknown username, a wrong, expired or used code, a deactivated person
    and a person of a suspended partner get one answer. The refusal is recorded as a denied
    request (`denial_record`, which reads the request being served from `audit.context`):
    route and reason, within the anonymous budget per address, and naming nobody, since
    whoever calls chooses the username and could otherwise fill any person's audit trail. The
    password must pass Django's validators (400 naming `password`; the code stays valid).
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
    denial_record(action=PartnerAction.PERSON_ENROLLED, actor=None, details={"reason": EnrolmentRefused.code})
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
    *,
    actor: Actor | None,
    request: Any,
    current_password: str,
    new_password: str,
    keep: AuthToken | None = None,
) -> None:
    """A signed-in person changes their own password; every other token of theirs is revoked
    (`keep`, the token of the request, stays), so a session someone else holds ends here.

    The current password is checked by `authenticate` with the request (django-axes needs
    it), as a sign-in is, so axes counts a wrong one and locks the username after
    `AXES_FAILURE_LIMIT`: a stolen token alone gets no more guesses at the password than a
    stranger does (429 once locked). A wrong current password is refused and recorded. The
    check runs before the transaction, so a refusal raised in it cannot roll back the
    failure axes counted; under the lock the password must still be the one checked (as in
    `token_issue`). Only a person has a password: any other actor is refused (403).
    """
    person = require_person(actor)
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
            tokens_end(actor=person, tokens=others, reason="password_changed")
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
