"""Fixtures of the privacy tests: probe tables, a fresh keyring per test, sample personal values."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from privacy.keyring import keyring
from tests.privacy.probe import PROBE_MODELS

# Values that must never appear in plaintext outside the ORM attribute and an explicit reveal.
ACCOUNT = "6222021234567891234"
HOLDER = "张三丰"
PHONE = "13812345678"
NOTE = "victim paid via order 4200001234202401011234567890"


@pytest.fixture(scope="session", autouse=True)
def probe_tables(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        with connection.schema_editor() as editor:
            for model in PROBE_MODELS:
                editor.create_model(model)
        yield
        with connection.schema_editor() as editor:
            for model in PROBE_MODELS:
                editor.delete_model(model)


@pytest.fixture(autouse=True)
def fresh_keyring() -> Iterator[None]:
    """Keys created or retired inside a test roll back with it; the cache must not outlive them."""
    keyring.reset()
    yield
    keyring.reset()
