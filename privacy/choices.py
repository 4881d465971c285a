"""Kinds of personal value, and the purposes and states of data keys."""

from django.db import models


class Kind(models.TextChoices):
    """What a personal value is: decides how it is normalised for search and how it is masked."""

    ACCOUNT = "account", "Bank account or card number"
    NAME = "name", "Person's name"
    ID_NUMBER = "id_number", "Identity document number"
    PHONE = "phone", "Phone number"
    ORDER_NUMBER = "order_number", "Payment order number"
    FREE_TEXT = "free_text", "Free text that may hold personal data"
    # Credentials such as adapter signing secrets: never shown, never revealed through the API.
    SECRET = "secret", "Secret"


class KeyPurpose(models.TextChoices):
    """Encryption keys and blind-index keys are separate, so one never weakens the other."""

    ENCRYPT = "encrypt", "Encryption (AES-256-GCM)"
    INDEX = "index", "Blind index (HMAC-SHA256)"


class KeyState(models.TextChoices):
    ACTIVE = "active", "Active"
    # No row needs it any more; the keyring refuses to use it.
    RETIRED = "retired", "Retired"
