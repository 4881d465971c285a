"""Probe models for the privacy tests, in their own app registry.

They are not in INSTALLED_APPS, so migrations and `makemigrations --check` never see them;
`conftest.probe_tables` creates their tables in the test database.
"""

from __future__ import annotations

import uuid

from django.apps.registry import Apps
from django.db import models

from privacy.choices import Kind
from privacy.fields import BlindIndexField, EncryptedTextField

probe_apps = Apps(installed_apps=[])


class ProbeAccount(models.Model):
    """A bank account as a case would hold it: searchable number and holder, free-text note."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = EncryptedTextField(kind=Kind.ACCOUNT)
    number_index = BlindIndexField(source="number")
    holder = EncryptedTextField(kind=Kind.NAME, null=True, blank=True)
    holder_index = BlindIndexField(source="holder")
    note = EncryptedTextField(kind=Kind.FREE_TEXT, blank=True, default="")
    label = models.CharField(max_length=40, blank=True)

    # Declared: django-stubs adds `objects` only to models of installed apps.
    objects: models.Manager[ProbeAccount] = models.Manager()

    class Meta:
        app_label = "privacy_probe"
        apps = probe_apps

    def __str__(self) -> str:
        return f"account {self.pk}"


class ProbePhone(models.Model):
    """Another table with a field of the same name, to show a value cannot move across tables."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = EncryptedTextField(kind=Kind.PHONE)
    number_index = BlindIndexField(source="number")

    objects: models.Manager[ProbePhone] = models.Manager()

    class Meta:
        app_label = "privacy_probe"
        apps = probe_apps

    def __str__(self) -> str:
        return f"phone {self.pk}"


class ProbeAdapterKey(models.Model):
    """Holds a secret, as `partners.Enrolment.second_half` does (adapters' keys are public now)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    signing_secret = EncryptedTextField(kind=Kind.SECRET)

    objects: models.Manager[ProbeAdapterKey] = models.Manager()

    class Meta:
        app_label = "privacy_probe"
        apps = probe_apps

    def __str__(self) -> str:
        return f"adapter key {self.pk}"


class ProbeIdentifier(models.Model):
    """A column whose kind is each row's own (`kind_field`), as a query's subject or a finding."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=[(Kind.ACCOUNT, "Account"), (Kind.PHONE, "Phone")])
    value = EncryptedTextField(kind_field="kind")
    value_index = BlindIndexField(source="value")

    objects: models.Manager[ProbeIdentifier] = models.Manager()

    class Meta:
        app_label = "privacy_probe"
        apps = probe_apps

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


PROBE_MODELS: list[type[models.Model]] = [ProbeAccount, ProbePhone, ProbeAdapterKey, ProbeIdentifier]
