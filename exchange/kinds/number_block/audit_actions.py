"""What a number block records of its own: its submission."""

from django.db import models

from audit.vocabulary import Trait


class NumberBlockAction(models.TextChoices):
    NUMBER_BLOCK_REQUESTED = "number_block_requested", "Phone number block requested"


TRAITS = {NumberBlockAction.NUMBER_BLOCK_REQUESTED: {Trait.CASE_ACCESS, Trait.SUBJECT_LOOKUP}}
