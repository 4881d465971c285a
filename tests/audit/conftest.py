"""Fixtures of the audit tests: a fixed signing key, quick events, and an attacker with DDL rights."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection

from audit import append_only
from audit.choices import Outcome
from audit.models import AuditEvent, SignedTreeHead
from audit.sequencer import sequence_batch
from audit.services import event_record
from core.actors import SystemActor
from partners.audit_actions import PartnerAction

SYSTEM = SystemActor("tests")

TEST_SEED = bytes(range(32))
TEST_PRIVATE_KEY = Ed25519PrivateKey.from_private_bytes(TEST_SEED)
TEST_PUBLIC_KEY = TEST_PRIVATE_KEY.public_key()


def publish() -> SignedTreeHead:
    """Run one sequencer batch, which must publish a head."""
    head = sequence_batch()
    assert head is not None, "nothing was queued"
    return head


@pytest.fixture(autouse=True)
def _audit_signing_key(settings: Any) -> None:
    """Every audit test signs with one known key and never writes a key file."""
    settings.AFX_AUDIT_SIGNING_KEY = base64.b64encode(TEST_SEED).decode()
    settings.AFX_AUDIT_SIGNING_KEY_FILE = ""
    settings.AFX_AUDIT_SIGNING_KEY_AUTOCREATE = False


@pytest.fixture
def record(db: None) -> Callable[..., AuditEvent]:
    """`record(n=..., **fields)`: append an event as a system actor unless told otherwise."""

    def make(
        *, actor: Any = SYSTEM, action: str = PartnerAction.PARTNER_CREATED, **fields: Any
    ) -> AuditEvent:
        fields.setdefault("outcome", Outcome.ALLOWED)
        return event_record(actor=actor, action=action, **fields)

    return make


@pytest.fixture
def events(record: Callable[..., AuditEvent]) -> Callable[[int], list[AuditEvent]]:
    """`events(n)`: append n distinct events."""

    def make(count: int) -> list[AuditEvent]:
        return [record(target_type="tests.thing", target_id=str(n), details={"n": n}) for n in range(count)]

    return make


@pytest.fixture
def drop_triggers(db: None) -> Iterator[Callable[[], None]]:
    """`drop_triggers()`: play someone with DDL rights on the database, who removes the triggers.

    They come back at the end of the test (the test's transaction would undo the drop on
    both databases anyway; this also covers transactional tests).
    """
    dropped = []

    def drop() -> None:
        append_only.remove(connection)
        dropped.append(True)

    yield drop
    if dropped:
        append_only.install(connection)


@pytest.fixture
def postgres(transactional_db: None) -> None:
    """Committed data on PostgreSQL, for tests that need real concurrency; fails (not skips) elsewhere."""
    assert connection.vendor == "postgresql", "integration tests need DATABASE_URL on PostgreSQL"
