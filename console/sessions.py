"""Ending every session of a person, and their API tokens with them."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.db import transaction
from knox.models import AuthToken

from audit.services import event_record
from partners.models import Person
from partners.revocation import tokens_end

from .audit_actions import ConsoleAction
from .models import PersonSession


def sessions_end(*, person: Person) -> int:
    """End every session the person opened (`PersonSession`, whatever the session engine) and
    revoke each of their tokens (one `token_revoked` apiece); one event says how many sessions.
    Returns how many sessions ended."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    with transaction.atomic():
        held = list(PersonSession.objects.select_for_update().filter(person=person))
        for session in held:
            store(session_key=session.session_key).delete()
        PersonSession.objects.filter(pk__in=[s.pk for s in held]).delete()
        tokens_end(actor=person, tokens=AuthToken.objects.filter(user=person), reason="signed_out_everywhere")
        event_record(
            actor=person,
            action=ConsoleAction.SIGNED_OUT_EVERYWHERE,
            target=person,
            details={"sessions": len(held)},
        )
    return len(held)
