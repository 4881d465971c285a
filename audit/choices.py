"""The audit app's own actions, and the outcomes and actor types of every event."""

from django.db import models


class AuditAction(models.TextChoices):
    """The audit app's own actions; every other app registers its own (`audit.vocabulary`)."""

    REQUEST_DENIED = "request_denied", "Request denied"
    PLAINTEXT_REVEALED = "plaintext_revealed", "Plaintext revealed"
    AUDIT_EXPORTED = "audit_exported", "Audit log exported"
    SIGNING_KEY_ROTATED = "audit_signing_key_rotated", "Audit signing key rotated"


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"
    ERROR = "error", "Error"


class ActorType(models.TextChoices):
    PERSON = "person", "Person"
    ADAPTER = "adapter", "Adapter"
    ANONYMOUS = "anonymous", "Anonymous"
    SYSTEM = "system", "System (command or task)"
