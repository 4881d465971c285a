"""The audit log: one row per act, written by the service that acts, in its transaction."""

from django.db import models
from django.utils import timezone

from .choices import ActorType, AuditAction, Outcome


class AuditEvent(models.Model):
    """Who did what to which target, when, from where, with which outcome.

    The actor is stored as text (type, id, partner code, role), not as foreign keys, so the
    log stays whole and readable whatever later happens to partners and people. `details`
    never holds plaintext personal data.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_type = models.CharField(max_length=12, choices=ActorType.choices)
    actor_id = models.CharField(max_length=120, blank=True)
    actor_partner = models.CharField(max_length=40, blank=True, db_index=True)
    actor_role = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices, db_index=True)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    case_id = models.CharField(max_length=64, blank=True, db_index=True)
    request_id = models.CharField(max_length=64, blank=True)
    source_address = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.ALLOWED)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["actor_id", "created_at"], name="audit_actor_time_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_id} {self.action} {self.outcome}"
