"""The sessions a person holds, so that "sign out everywhere" can end each of them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from partners.models import Person


class PersonSession(models.Model):
    """One session a sign-in opened (the console's or the admin's: both pass `login`).

    Django keeps sessions by key with their data encoded, so a person's sessions cannot be
    found without decoding every row; this row names the key, written when the session
    starts (`console.signals`), whatever session engine is configured.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"session of {self.person_id}"
