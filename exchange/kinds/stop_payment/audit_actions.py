"""What a stop-payment records of its own: its submission."""

from django.db import models

from audit.vocabulary import Trait


class StopPaymentAction(models.TextChoices):
    STOP_PAYMENT_REQUESTED = "stop_payment_requested", "Emergency stop-payment requested"


TRAITS = {StopPaymentAction.STOP_PAYMENT_REQUESTED: {Trait.CASE_ACCESS, Trait.SUBJECT_LOOKUP}}
