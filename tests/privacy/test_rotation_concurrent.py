"""Rotation on PostgreSQL while another connection keeps writing: nothing lost, everything readable."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator

import pytest
from django.db import connection, connections
from pytest_django.fixtures import Settings

from privacy.choices import KeyPurpose
from privacy.rotation import key_versions_add, rows_pending, rows_reencrypt
from privacy.selectors import blind_index_filter
from tests.privacy.probe import PROBE_MODELS, ProbeAccount

pytestmark = pytest.mark.integration


@pytest.fixture
def committed_accounts(transactional_db: None, settings: Settings) -> Iterator[dict[uuid.UUID, str]]:
    assert connection.vendor == "postgresql", "integration tests need DATABASE_URL on PostgreSQL"
    settings.AFX_KEYRING_REFRESH_SECONDS = 0.05  # the writer notices the new version quickly
    accounts = [ProbeAccount(number=f"6222{i:012d}", holder="持卡人") for i in range(600)]
    ProbeAccount.objects.bulk_create(accounts)
    yield {a.pk: a.number for a in accounts}
    for model in PROBE_MODELS:
        model._base_manager.all().delete()


def test_rotation_with_a_concurrent_writer_loses_nothing(committed_accounts: dict[uuid.UUID, str]) -> None:
    expected = dict(committed_accounts)
    pks = list(expected)
    done = threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        """Creates and edits rows in its own connection until the rotation is over."""
        chooser = random.Random(7)
        try:
            serial = 0
            while not done.is_set() or serial < 50:
                serial += 1
                fresh = ProbeAccount.objects.create(number=f"6333{serial:012d}", holder="新户")
                expected[fresh.pk] = fresh.number
                edited = ProbeAccount.objects.get(pk=chooser.choice(pks))
                edited.number = expected[edited.pk] = f"6444{serial:012d}"
                edited.save()
        except BaseException as error:  # reported by the main thread
            failures.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    key_versions_add(purposes=KeyPurpose.values)
    thread.start()
    try:
        result = rows_reencrypt(in_models=[ProbeAccount], batch_size=25)
    finally:
        done.set()
        thread.join()
    assert not failures
    # The writer may have saved after the last pass; one more pass picks those up.
    assert result.remaining == 0 or rows_reencrypt(in_models=[ProbeAccount]).remaining == 0
    assert rows_pending([ProbeAccount]) == 0
    loaded = {a.pk: a.number for a in ProbeAccount.objects.all()}
    assert loaded == expected
    for pk in random.Random(3).sample(list(expected), 40):
        assert (
            ProbeAccount.objects.filter(blind_index_filter(ProbeAccount, "number", expected[pk])).get().pk
            == pk
        )
