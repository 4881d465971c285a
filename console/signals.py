"""Every session sign-in is remembered against its person (`PersonSession`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from partners.models import Person

from .models import PersonSession


@receiver(user_logged_in, dispatch_uid="afx_console_session_track")
def session_track(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if isinstance(user, Person) and key:
        PersonSession.objects.update_or_create(session_key=key, defaults={"person": user})


@receiver(user_logged_out, dispatch_uid="afx_console_session_forget")
def session_forget(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        PersonSession.objects.filter(session_key=key).delete()
