"""The kind's own audit action: its submission, found by the anomaly reports by its traits."""

from django.db import models

from audit.vocabulary import Trait


class NumberOwnerAction(models.TextChoices):
    NUMBER_OWNER_ASKED = "number_owner_asked", "Holder of a phone number asked"


TRAITS = {NumberOwnerAction.NUMBER_OWNER_ASKED: {Trait.CASE_ACCESS, Trait.SUBJECT_LOOKUP}}
