"""What a freeze release records of its own: its submission."""

from django.db import models

from audit.vocabulary import Trait


class FreezeReleaseAction(models.TextChoices):
    FREEZE_RELEASE_REQUESTED = "freeze_release_requested", "Freeze release requested"


TRAITS = {FreezeReleaseAction.FREEZE_RELEASE_REQUESTED: {Trait.CASE_ACCESS, Trait.SUBJECT_LOOKUP}}
