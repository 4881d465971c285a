"""Enrolment codes: how a person sets their first password without anyone else knowing it.

An administrator creates a person (or starts their enrolment over) and hands them a code; the
person sends the code with a password of their own choosing to `POST /api/v1/auth/enrol/`.
The code is single-use, expires after `ENROLMENT_LIFETIME`, carries 192 random bits and is
kept only as its SHA-256 digest: reading the table gives nothing to enrol with. A plain
digest, not a password hash, is enough for a random code of that length (nobody can guess
one to match it), and it costs the same to check for unknown and known usernames.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.utils import timezone

from .models import Person

ENROLMENT_LIFETIME = timedelta(hours=72)
_NO_CODE = "-" * 64  # compared against when there is no pending code; no digest equals it


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def enrolment_open(person: Person) -> str:
    """Give `person` a fresh code (replacing any pending one) and return it; the caller saves."""
    code = secrets.token_urlsafe(24)
    person.enrolment_digest = _digest(code)
    person.enrolment_expires_at = timezone.now() + ENROLMENT_LIFETIME
    return code


def enrolment_close(person: Person) -> None:
    """The code is used up or withdrawn; the caller saves."""
    person.enrolment_digest = ""
    person.enrolment_expires_at = None


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
