"""The one way to record an audit event, and the auditors' export (which records itself)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from django_guid import get_guid

from core.actors import SystemActor, role_of
from core.errors import Forbidden, Invalid

from . import vocabulary
from .canonical import check_details
from .choices import ActorType, AuditAction, Outcome
from .context import current_source_address
from .exporters import events_csv, events_jsonl
from .models import AuditEvent
from .permissions import AUDIT_READERS
from .selectors import EventFilters

EXPORTERS: dict[str, Callable[[QuerySet[AuditEvent]], Iterator[str]]] = {
    "csv": events_csv,
    "jsonl": events_jsonl,
}

# What one event's details may weigh, as JSON. Details say what was done in a few fields
# (codes, counts, blind indexes); anything bigger is text a caller sent, which a permanent,
# hash-chained log must not keep, so it is refused where it is written, not cut.
MAX_DETAILS_BYTES = 4096


def _actor_fields(actor: Any) -> dict[str, str]:
    """Describe a person, an adapter, nobody (None) or the system as text."""
    if actor is None:
        return {"actor_type": ActorType.ANONYMOUS, "actor_id": "", "actor_partner": "", "actor_role": ""}
    if isinstance(actor, SystemActor):
        return {
            "actor_type": ActorType.SYSTEM,
            "actor_id": actor.actor_label,
            "actor_partner": "",
            "actor_role": "",
        }
    partner = getattr(actor, "partner", None)
    return {
        "actor_type": ActorType.ADAPTER if getattr(actor, "is_adapter", False) else ActorType.PERSON,
        "actor_id": actor.actor_label,
        "actor_partner": partner.code if partner is not None else "",
        "actor_role": str(getattr(actor, "role", "")),
    }


def event_record(
    *,
    actor: Any,
    action: str,
    outcome: Outcome = Outcome.ALLOWED,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    case_id: str = "",
    details: Mapping[str, object] | None = None,
) -> AuditEvent:
    """Append one event; call it inside the transaction of the act it records.

    `action` is any registered action (`audit.vocabulary`). `actor` is a person, an adapter
    principal, None for an anonymous caller, or a `SystemActor` (a management command or a
    task). `target` may be given as a model instance or as `target_type`/`target_id`.
    `details` must hold no plaintext personal data (blind indexes and masked values only) and
    no floats (ValueError; see `audit.canonical`), and weigh at most `MAX_DETAILS_BYTES` as
    JSON (ValueError).

    This is a single INSERT and takes no lock: a database trigger queues the event for the
    sequencer, which gives it its place in the Merkle tree after it commits. An event whose
    transaction rolls back never existed, as the act it records.
    """
    if not vocabulary.is_registered(action):
        raise ValueError(f"audit action {action!r} is not registered (audit.vocabulary.register)")
    details = dict(details or {})
    check_details(details)  # a value the tree cannot hash must fail here, not in the sequencer
    if len(orjson.dumps(details)) > MAX_DETAILS_BYTES:
        raise ValueError(f"audit details must weigh at most {MAX_DETAILS_BYTES} bytes as JSON")
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
    event = AuditEvent(
        **_actor_fields(actor),
        action=action,
        outcome=outcome,
        target_type=target_type,
        target_id=target_id,
        case_id=case_id,
        request_id=get_guid() or "",
        source_address=current_source_address() or None,
        details=details,
    )
    _insert(event)
    return event


def _insert(event: AuditEvent) -> None:
    """INSERT the event with one fixed statement, as `Model.save()` would, at half its cost.

    Every audited act pays for this call, so it skips what `save()` does that an audit row
    never needs (signals, the update-or-insert decision, compiling the statement each time,
    preparing thirteen values field by field): the text columns go as they are, and the
    three others through the database backend's own adapters.
    """
    database = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: `connection` is a per-use proxy
    ops = database.ops
    values = [getattr(event, name) for name in _INSERT_COLUMNS]
    values[0] = ops.adapt_datetimefield_value(event.created_at)
    values[-3] = ops.adapt_ipaddressfield_value(event.source_address)
    values[-1] = ops.adapt_json_value(event.details, None)
    cursor = _insert_cursor(database)
    cursor.execute(_insert_sql(database.vendor), values)
    event.pk = cursor.fetchone()[0]
    event._state.adding = False
    event._state.db = database.alias


def _insert_cursor(database: BaseDatabaseWrapper) -> Any:
    """A cursor kept for the audit INSERT on each (thread-local) connection.

    A new Django cursor costs about a third of the whole call: psycopg copies its adapters
    and Django registers its time zone loader on every one. The kept cursor is dropped when
    the connection it was made on is gone; while queries are being logged (DEBUG, or a test
    counting queries) a fresh cursor is used each time, so the INSERT is logged as usual.
    """
    if database.queries_logged:
        return database.cursor()
    database.ensure_connection()
    kept = getattr(database, "_afx_audit_cursor", None)
    if kept is None or kept.connection is not database.connection or getattr(kept.cursor, "closed", False):
        kept = _KeptCursor(database.cursor(), database.connection)
        database._afx_audit_cursor = kept  # type: ignore[attr-defined]
    return kept.cursor


@dataclass(frozen=True)
class _KeptCursor:
    cursor: Any
    connection: Any


_INSERT_COLUMNS = [field.attname for field in AuditEvent._meta.concrete_fields if not field.primary_key]
assert _INSERT_COLUMNS[0] == "created_at" and _INSERT_COLUMNS[-3:] == ["source_address", "outcome", "details"]


@functools.cache
def _insert_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in _INSERT_COLUMNS)
    marks = ", ".join(["%s"] * len(_INSERT_COLUMNS))
    table, key = quote(AuditEvent._meta.db_table), quote(AuditEvent._meta.pk.column)
    return f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING {key}"  # noqa: S608


def events_export(*, actor: Any, filters: EventFilters, export_format: str) -> Iterator[str]:
    """Record that `actor` exports the events matching `filters`, then return the lines to stream.

    The export's own event is committed before the first line leaves, so an export that
    is cut off halfway is still on record. Only auditors and administrators export.
    """
    if role_of(actor) not in AUDIT_READERS:
        raise Forbidden("Only auditors and administrators export the audit log.")
    if export_format not in EXPORTERS:
        raise Invalid("Unknown export format.", fields={"format": [f"One of: {', '.join(EXPORTERS)}."]})
    with transaction.atomic():
        event_record(
            actor=actor,
            action=AuditAction.AUDIT_EXPORTED,
            details={"format": export_format, "filters": filters.as_details()},
        )
    return EXPORTERS[export_format](filters.apply(AuditEvent.objects.restrict(actor)))
