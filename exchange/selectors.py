"""Reads of the exchange, on behalf of an actor: what the actor may see of cases and queries.

Lists are what `restrict` leaves (empty for an actor who may see none); one object is
reached through `exchange.access` (`NotFound`, audited, when out of scope). Reading one
case is itself recorded (`CASE_VIEWED`): the anomaly reports count reads of case data.
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from audit.services import event_record
from core.actors import Actor

from .access import access_case_by_id, access_query_by_id
from .audit_actions import ExchangeAction
from .models import Case, Query
from .querysets import VIEW


def case_list(actor: Actor) -> QuerySet[Case]:
    """The cases the actor may see: police their unit's, auditors all."""
    return Case.objects.restrict(actor, VIEW).select_related("unit", "opened_by")


def case_get(actor: Actor, case_id: UUID | str) -> Case:
    """One case the actor may see, its reading recorded against the case."""
    case = access_case_by_id(actor, case_id, VIEW)
    event_record(actor=actor, action=ExchangeAction.CASE_VIEWED, target=case, case_id=str(case.pk))
    return case


def query_list(actor: Actor, case_id: UUID | str | None = None, status: str | None = None) -> QuerySet[Query]:
    """The queries the actor may see, of one case or in one status when given."""
    found = Query.objects.restrict(actor, VIEW).select_related("partner")
    if case_id is not None:
        found = found.filter(case_id=case_id)
    if status is not None:
        found = found.filter(status=status)
    return found


def query_get(actor: Actor, query_id: UUID | str) -> Query:
    """One query the actor may see."""
    return access_query_by_id(actor, query_id, VIEW)
