"""What an account-transfers request records of its own: its submission."""

from django.db import models

from audit.vocabulary import Trait


class AccountTransfersAction(models.TextChoices):
    TRANSFERS_REQUESTED = "transfers_requested", "Account transfers requested"


TRAITS = {AccountTransfersAction.TRANSFERS_REQUESTED: {Trait.CASE_ACCESS, Trait.SUBJECT_LOOKUP}}
