"""What an order lookup records of its own: its submission. The rest of a query's journey
(dispatched, answered, expired) is the exchange's, the same for every kind."""

from django.db import models

from audit.vocabulary import Trait


class OrderLookupAction(models.TextChoices):
    LOOKUP_SUBMITTED = "lookup_submitted", "Lookup submitted"


TRAITS = {OrderLookupAction.LOOKUP_SUBMITTED: {Trait.CASE_ACCESS, Trait.SUBJECT_LOOKUP}}
