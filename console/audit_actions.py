"""What the console records beside the registry's sign-in events (`partners.signals` records
each password check and each session sign-in): the second factor, and signing out."""

from django.db import models

from audit.vocabulary import Trait


class ConsoleAction(models.TextChoices):
    SIGN_IN_REFUSED = "console_sign_in_refused", "Console sign-in refused after the password"
    SECOND_FACTOR_FAILED = "second_factor_failed", "Console second factor (TOTP) code wrong"
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled", "Console second factor (TOTP) device confirmed"
    SIGNED_OUT = "signed_out", "Signed out of the console"
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere", "Signed out of every session"


TRAITS = {action: {Trait.PASSIVE} for action in ConsoleAction}
