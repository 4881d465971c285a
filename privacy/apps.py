"""The privacy app: encrypted fields, keys, blind indexes, masking and reveal."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy: personal data encryption"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import serializers
        from .providers import load_provider

        # Fail fast: without a master key (and not allowed to make one) the process must not start.
        load_provider()
        serializers.register_masked_mapping()
        post_migrate.connect(_create_first_data_keys, sender=self)


def _create_first_data_keys(using: str, **kwargs: Any) -> None:
    """After `migrate`, each purpose has a data key, so the demo and the tests just work."""
    from django.db import connections

    from .keyring import data_keys_ensure
    from .models import DataKey

    if DataKey._meta.db_table in connections[using].introspection.table_names():
        data_keys_ensure(using=using)
