"""What a freeze records of its own: its submission."""

from django.db import models

from audit.vocabulary import Trait


class FreezeAction(models.TextChoices):
    FREEZE_REQUESTED = "freeze_requested", "Freeze requested"


TRAITS = {FreezeAction.FREEZE_REQUESTED: {Trait.CASE_ACCESS, Trait.SUBJECT_LOOKUP}}
