"""What a freeze renewal records of its own: its submission."""

from django.db import models

from audit.vocabulary import Trait


class FreezeRenewAction(models.TextChoices):
    FREEZE_RENEWAL_REQUESTED = "freeze_renewal_requested", "Freeze renewal requested"


TRAITS = {FreezeRenewAction.FREEZE_RENEWAL_REQUESTED: {Trait.CASE_ACCESS, Trait.SUBJECT_LOOKUP}}
