"""Reads of the audit log: filtered events, proofs, heads and the sequencer's lag.

Everything an actor asks for starts from `restrict(actor)`. Leaf data (what a leaf hashes)
is read through `audit.rows`, like the sequencer and the verifier do.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Max, Min, QuerySet
from django.utils import timezone

from core.errors import Conflict, Invalid, NotFound

from . import signing
from .anomalies import Finding, find_anomalies
from .exporters import heads_jsonl
from .models import AuditEvent, SignedTreeHead, UnsequencedEvent
from .proofs import MissingTreeNode, consistency_proofs_for, inclusion_proof_for
from .rows import leaf_bytes, rows_by_ids

_HEADS_PER_FETCH = 500


@dataclass(frozen=True)
class EventFilters:
    """What auditors filter the log by; every field is optional and they combine with AND.

    `since` is inclusive and `until` exclusive, so consecutive windows never overlap.
    """

    actor: str = ""
    partner: str = ""
    action: str = ""
    outcome: str = ""
    case: str = ""
    target_type: str = ""
    target_id: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if self.until is not None:  # a window open to now starts at the newest event: nothing to skip
            events = _ids_of_window(events, self.since, self.until)
        exact = {
            "actor_id": self.actor,
            "actor_partner": self.partner,
            "action": self.action,
            "outcome": self.outcome,
            "case_id": self.case,
            "target_type": self.target_type,
            "target_id": self.target_id,
        }
        events = events.filter(**{column: value for column, value in exact.items() if value})
        if self.since is not None:
            events = events.filter(created_at__gte=self.since)
        if self.until is not None:
            events = events.filter(created_at__lt=self.until)
        return events

    def as_details(self) -> dict[str, str]:
        """The filters that were set, as text for the export's own audit event."""
        return {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in asdict(self).items()
            if value
        }


def _ids_of_window(
    events: QuerySet[AuditEvent], since: datetime | None, until: datetime
) -> QuerySet[AuditEvent]:
    """`events` cut to the id range of the events created in [since, until): exactly the same
    rows once the time filters apply, but a newest-first page of a window months back is then
    a scan of that range on an index ending in `id`, where PostgreSQL would otherwise walk the
    primary key down from the newest event past every later one (ids and times rise together,
    which its estimates do not know). One index-only scan of `audit_created_idx` over the
    window finds the range: a few milliseconds for a week of a million events.

    `id + 0` keeps PostgreSQL from answering MIN and MAX by walking the primary key too."""
    window = events.filter(created_at__lt=until)
    if since is not None:
        window = window.filter(created_at__gte=since)
    bounds = window.order_by().aggregate(first=Min(F("id") + 0), last=Max(F("id") + 0))
    if bounds["first"] is None:
        return events.none()
    return events.filter(id__gte=bounds["first"], id__lte=bounds["last"])


def event_list(*, actor: Any, filters: EventFilters) -> QuerySet[AuditEvent]:
    """The events the actor may read that match `filters`, each with its leaf index (or None)."""
    events = filters.apply(AuditEvent.objects.restrict(actor))
    return events.annotate(leaf_index=F("leaf__leaf_index"))


def events_by_id(*, actor: Any, event_ids: Iterable[int]) -> dict[int, AuditEvent]:
    """The listed events the actor may read, keyed by id (for the evidence of findings)."""
    return {
        event.id: event for event in event_list(actor=actor, filters=EventFilters()).filter(id__in=event_ids)
    }


def event_get(*, actor: Any, event_id: int) -> AuditEvent:
    """One event the actor may read, with its leaf index; else `NotFound`, audited (`audit.access`)."""
    from .access import access_object  # it records through `audit.services`, which imports this module

    events = AuditEvent.objects.annotate(leaf_index=F("leaf__leaf_index"))
    return access_object(actor=actor, model=AuditEvent, action="view", queryset=events, id=event_id)


@dataclass(frozen=True)
class EventProof:
    """Everything needed to check offline that an event is in a signed head."""

    event: AuditEvent
    leaf_index: int
    leaf_bytes: bytes
    head: SignedTreeHead
    proof: list[bytes]


def event_proof(*, actor: Any, event_id: int, tree_size: int | None = None) -> EventProof:
    """The inclusion proof of an event in the head of `tree_size` leaves (default: the latest head)."""
    event = event_get(actor=actor, event_id=event_id)
    if event.leaf_index is None:  # type: ignore[attr-defined]
        raise Conflict("This event is not in the tree yet; try again in a few seconds.", code="not_sequenced")
    leaf_index: int = event.leaf_index  # type: ignore[attr-defined]
    head = head_get(actor=actor, tree_size=tree_size)
    if leaf_index >= head.tree_size:
        raise Conflict("This event came after that head.", code="not_in_head")
    (row,) = rows_by_ids([event.id])
    return EventProof(
        event=event,
        leaf_index=leaf_index,
        leaf_bytes=leaf_bytes(row),
        head=head,
        proof=_proof_or_conflict(lambda: inclusion_proof_for(leaf_index, head.tree_size)),
    )


def head_list(*, actor: Any) -> QuerySet[SignedTreeHead]:
    return SignedTreeHead.objects.restrict(actor)


def head_get(*, actor: Any, tree_size: int | None = None) -> SignedTreeHead:
    """The head of `tree_size` leaves, or the latest; 404 when there is no such head."""
    heads = head_list(actor=actor)
    head = (
        heads.order_by("-number").first() if tree_size is None else heads.filter(tree_size=tree_size).first()
    )
    if head is None:
        from .denials import denial_record  # it records through `audit.services`, which imports this module

        exists = SignedTreeHead.objects.filter(**({} if tree_size is None else {"tree_size": tree_size}))
        reason = "out_of_scope" if exists.exists() else "missing"
        denial_record(
            actor=actor,
            target_type=SignedTreeHead._meta.label_lower,
            details={"status": 404, "code": "not_found", "reason": reason},
        )
        raise NotFound("Not found.")
    return head


@dataclass(frozen=True)
class HeadConsistency:
    """A proof that head `newer` extends head `older`: the log was only appended to between them."""

    older: SignedTreeHead
    newer: SignedTreeHead
    proof: list[bytes]


def head_consistency(*, actor: Any, from_size: int, to_size: int | None = None) -> HeadConsistency:
    older = head_get(actor=actor, tree_size=from_size)
    newer = head_get(actor=actor, tree_size=to_size)
    if newer.tree_size < older.tree_size:
        raise Invalid(
            "`to` must be a head at least as large as `from`.", fields={"to": ["Smaller than from."]}
        )
    pair = [(older.tree_size, newer.tree_size)]
    return HeadConsistency(
        older=older, newer=newer, proof=_proof_or_conflict(lambda: consistency_proofs_for(pair)[0])
    )


def heads_with_consistency(heads: Iterable[SignedTreeHead]) -> Iterable[tuple[SignedTreeHead, list[bytes]]]:
    """Each head with the consistency proof from the head before it (empty for the first)."""
    chunk: list[SignedTreeHead] = []
    previous_size = 0
    for head in heads:
        chunk.append(head)
        if len(chunk) == _HEADS_PER_FETCH:
            yield from _with_proofs(chunk, previous_size)
            previous_size, chunk = chunk[-1].tree_size, []
    yield from _with_proofs(chunk, previous_size)


def heads_export(*, actor: Any) -> Iterator[str]:
    """The heads export's JSON Lines (`audit.exporters.heads_jsonl`): every head the actor may
    read, oldest first, each with its consistency proof from the one before, after the keys.
    What the API's and the console's downloads stream and `python -m audit.verify_export` checks."""
    heads = heads_with_consistency(head_list(actor=actor).order_by("number"))
    return heads_jsonl(heads, signing.public_key())


def _with_proofs(
    heads: list[SignedTreeHead], previous_size: int
) -> Iterable[tuple[SignedTreeHead, list[bytes]]]:
    sizes = [previous_size] + [head.tree_size for head in heads]
    pairs = [(older, newer) for older, newer in itertools.pairwise(sizes) if older > 0]
    proofs = iter(consistency_proofs_for(pairs))
    for older, head in zip(sizes, heads, strict=False):
        yield head, next(proofs) if older > 0 else []


def _proof_or_conflict(make: Any) -> list[bytes]:
    try:
        return list(make())
    except MissingTreeNode:
        raise Conflict(
            "The stored tree is incomplete; an operator must run audit_verify.", code="tree_damaged"
        ) from None


def anomaly_findings(*, actor: Any, since: datetime, until: datetime) -> list[Finding]:
    """The anomaly findings about events the actor may read, in [since, until), oldest first."""
    return find_anomalies(events=AuditEvent.objects.restrict(actor), since=since, until=until)


def sequencer_lag_seconds() -> float:
    """Age in seconds of the oldest event still waiting for the sequencer (0 when none waits).

    Health reports the sequencer as lagging when this passes `AFX_AUDIT_LAG_ALERT_SECONDS`.
    """
    oldest = UnsequencedEvent.objects.aggregate(oldest=Min("created_at"))["oldest"]
    return max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else 0.0
