"""Enrolment codes: how a person sets their first password without anyone else knowing it.

An administrator creates a person (or starts their enrolment over); the person sends the code
with a password of their own choosing to `POST /api/v1/auth/enrol/`. The code is two halves of
96 random bits each, one after the other: the administrator is shown the first, and a witness
is released the second (`services.people.person_enrolment_witness`), so nobody alone holds the whole
code. It is single-use, expires after `ENROLMENT_LIFETIME` and is kept only as the SHA-256
digest of both halves: reading the table gives nothing to enrol with. A plain
digest, not a password hash, is enough for a random code of that length (nobody can guess
one to match it), and it costs the same to check for unknown and known usernames.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.utils import timezone

from .models import Enrolment, Person

ENROLMENT_LIFETIME = timedelta(hours=72)
_NO_CODE = "-" * 64  # compared against when there is no pending code; no digest equals it


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def enrolment_open(person: Person) -> tuple[str, str]:
    """Give `person` a fresh code (replacing any pending one) and return its two halves; the
    caller saves. The code is the first half followed by the second, and the digest covers
    both, so neither half alone enrols (split custody: `partners.models.Enrolment`)."""
    first, second = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    person.enrolment_digest = _digest(first + second)
    person.enrolment_expires_at = timezone.now() + ENROLMENT_LIFETIME
    return first, second


def enrolment_notice(*, half: bool = False) -> str:
    """How a code (or an administrator's half of one) is to be handed over, the same words in
    the admin and the commands."""
    hours = int(ENROLMENT_LIFETIME.total_seconds() // 3600)
    what = (
        "This is the FIRST half of the code; a witness (a supervisor of the person's partner, "
        "or another administrator) takes the second. "
        if half
        else ""
    )
    return (
        f"{what}Shown once, single use, valid {hours} hours. Hand it to the person; they choose "
        "their password at POST /api/v1/auth/enrol/ with the whole code, halves one after the other."
    )


def enrolment_close(person: Person) -> None:
    """The code is used up or withdrawn: its custody row goes now, the caller saves the person."""
    person.enrolment_digest = ""
    person.enrolment_expires_at = None
    Enrolment.objects.filter(person_id=person.pk).delete()


def enrolment_matches(person: Person | None, code: str, now: datetime) -> bool:
    """Whether `code` is `person`'s pending, unexpired code. A missing person, an expired or
    used code cost the same comparison as a wrong one, so timing tells them apart no better
    than the answer does."""
    pending = (
        person is not None
        and bool(person.enrolment_digest)
        and person.enrolment_expires_at is not None
        and now < person.enrolment_expires_at
    )
    expected = person.enrolment_digest if person is not None and pending else _NO_CODE
    return hmac.compare_digest(expected, _digest(code)) and pending
