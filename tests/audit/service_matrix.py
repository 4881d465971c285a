"""Service-matrix rows of the audit log's reads and its export: auditors and administrators
read all of it, nobody else reads any (`audit.querysets`); the system reads none either. The
signing key is rotated by the system alone (a command at the gateway's shell), by nobody else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from audit import selectors, services
from audit.key_rotation import signing_key_rotate
from audit.models import AuditEvent, SignedTreeHead
from audit.selectors import EventFilters
from audit.sequencer import sequence_batch
from tests.service_matrix import ServiceRow, every

READERS = every("not_found", auditor="ok", administrator="ok")


def _published() -> SignedTreeHead:
    """Sequence the world's events into a signed head."""
    head = sequence_batch()
    assert head is not None, "the world recorded nothing"
    return head


def _first_event_id() -> int:
    return AuditEvent.objects.order_by("id").values_list("id", flat=True)[0]


def _proof(world: Any, actor: Any) -> object:
    _published()
    return selectors.event_proof(actor=actor, event_id=_first_event_id())


def _consistency(world: Any, actor: Any) -> object:
    head = _published()
    return selectors.head_consistency(actor=actor, from_size=head.tree_size)


def _head(world: Any, actor: Any) -> object:
    _published()
    return selectors.head_get(actor=actor)


def _findings(world: Any, actor: Any) -> object:
    now = timezone.now()
    return selectors.anomaly_findings(
        actor=actor, since=now - timedelta(days=1), until=now + timedelta(minutes=1)
    )


ROWS = [
    ServiceRow(
        "audit.services.events_export",
        lambda w, a: list(services.events_export(actor=a, filters=EventFilters(), export_format="jsonl")),
        every("forbidden", auditor="ok", administrator="ok"),
    ),
    ServiceRow(
        "audit.selectors.event_list",
        lambda w, a: list(selectors.event_list(actor=a, filters=EventFilters())),
        every("ok"),
    ),
    ServiceRow(
        "audit.selectors.events_by_id",
        lambda w, a: selectors.events_by_id(actor=a, event_ids=[_first_event_id()]),
        every("ok"),
    ),
    ServiceRow(
        "audit.selectors.event_get",
        lambda w, a: selectors.event_get(actor=a, event_id=_first_event_id()),
        READERS,
    ),
    ServiceRow("audit.selectors.event_proof", _proof, READERS),
    ServiceRow("audit.selectors.head_list", lambda w, a: list(selectors.head_list(actor=a)), every("ok")),
    ServiceRow("audit.selectors.head_get", _head, READERS),
    ServiceRow("audit.selectors.head_consistency", _consistency, READERS),
    # The key line for everyone, the heads only for those who may read them (`head_list`).
    ServiceRow(
        "audit.selectors.heads_export", lambda w, a: list(selectors.heads_export(actor=a)), every("ok")
    ),
    ServiceRow("audit.selectors.anomaly_findings", _findings, every("ok")),
    ServiceRow(
        "audit.key_rotation.signing_key_rotate",
        lambda w, a: signing_key_rotate(actor=a, new_key=Ed25519PrivateKey.generate()),
        every("forbidden", system="ok"),
    ),
]
