"""The database itself refuses to change or delete audit rows, whatever the code path."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from audit.models import AuditEvent, MerkleNode, SequencedLeaf, SignedTreeHead, UnsequencedEvent
from tests.audit.conftest import publish


@pytest.fixture
def tree(events, settings):
    settings.AFX_AUDIT_SEQUENCER_BATCH = 8
    events(8)
    return publish()


def refused(action) -> None:
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        action()


@pytest.mark.parametrize("model", [AuditEvent, SequencedLeaf, MerkleNode, SignedTreeHead])
def test_orm_updates_and_deletes_are_refused(tree, model):
    rows = model.objects.all()
    assert rows.exists()
    first_field = {
        AuditEvent: {"actor_id": "someone-else"},
        SequencedLeaf: {"leaf_hash": bytes(32)},
        MerkleNode: {"hash": bytes(32)},
        SignedTreeHead: {"key_id": "forged"},
    }[model]
    refused(lambda: rows.update(**first_field))
    refused(lambda: rows.delete())


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET outcome = 'denied'",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_sequencedleaf SET leaf_index = leaf_index + 1",
        "DELETE FROM audit_merklenode",
        "DELETE FROM audit_signedtreehead",
    ],
)
def test_raw_sql_is_refused(tree, statement):
    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(statement)

    refused(run)


def test_a_single_model_instance_cannot_be_saved_or_deleted(tree):
    event = AuditEvent.objects.earliest("id")
    event.details = {"changed": True}
    refused(event.save)
    refused(event.delete)


def test_the_queue_is_filled_by_the_database_and_may_be_emptied(events):
    (event,) = events(1)
    queued = UnsequencedEvent.objects.get()
    assert queued.event_id == event.id
    assert queued.created_at == event.created_at
    UnsequencedEvent.objects.all().delete()


def test_inserts_are_still_allowed(tree, events):
    events(1)
    assert AuditEvent.objects.count() == 9
