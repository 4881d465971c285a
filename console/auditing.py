"""What the auditors' pages read, from the audit app's own selectors (`audit.selectors`, which
start from `AuditEvent.objects.restrict`), exactly as `api/audit/` does.

The proof document is `audit.exporters.proof_document`, the one the API serves at
`GET /api/v1/audit/events/{id}/proof/`, so the browser checks the very document an outsider
would check with `python -m audit.verify_export --proof`.
"""

from __future__ import annotations

import base64
from typing import Any

from django.db.models import QuerySet

from audit import selectors, signing
from audit.head_signature import load_public_key_raw
from audit.models import AuditEvent
from audit.selectors import EventFilters
from audit.verify_export import fingerprint

EVENTS_SHOWN = 100


def events_found(actor: Any, filters: EventFilters) -> QuerySet[AuditEvent]:
    """The newest events the actor may read that match the filters (`event_list`, as the API)."""
    return selectors.event_list(actor=actor, filters=filters).order_by("-id")[:EVENTS_SHOWN]


def _b64(value: bytes) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


def published_keys() -> list[dict[str, str]]:
    """The audit signing keys (the first and each announced by a key change), raw in base64
    with their fingerprints: what the browser checks a head's signatures against. The auditor
    compares the fingerprints with the key she was handed (`audit_export_heads --public-key`)."""
    history, _ = signing.key_history()
    return [{"id": fingerprint(load_public_key_raw(raw)), "raw": _b64(raw)} for raw in history.keys]
