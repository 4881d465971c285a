"""Data keys: the keys that encrypt personal values and compute blind indexes, stored wrapped."""

from django.db import models
from django.utils import timezone

from .choices import KeyPurpose, KeyState


class DataKey(models.Model):
    """One version of a data key, wrapped by the key provider (the master key by default).

    Versions count up per purpose; the highest active version encrypts (or indexes) new
    values, every active version can still decrypt (or be looked up). A version is retired
    only once no row needs it; the row stays so that the history is visible.
    """

    purpose = models.CharField(max_length=8, choices=KeyPurpose.choices)
    version = models.PositiveIntegerField()
    wrapped_key = models.BinaryField()
    wrapped_by = models.CharField(max_length=100, help_text="The provider key that wrapped it.")
    state = models.CharField(max_length=8, choices=KeyState.choices, default=KeyState.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["purpose", "version"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="datakey_purpose_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version} ({self.state})"

    @property
    def wrap_context(self) -> bytes:
        """What the wrapped key is bound to: a wrapped key copied onto another row fails to unwrap."""
        return f"afx-data-key:{self.purpose}:v{self.version}".encode()
