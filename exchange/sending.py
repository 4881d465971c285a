"""The gateway's own refusals of a query before it leaves, the same at submission and at approval.

A refused query is kept (status `refused`, the refusal's code as its reason), so the officer's
list and the audit log both show it; the API answers it with 403 or 409.
"""

from __future__ import annotations

from django.db import connection

from core.errors import Conflict, DomainError, Forbidden
from exchange.choices import CaseStatus
from exchange.kinds import KindSpec
from exchange.models import Case, Query
from partners.models import Partner
from partners.selectors import grants_active_for


class CaseClosed(Conflict):
    code = "case_closed"


class NoGrant(Forbidden):
    code = "no_grant"


class PartnerUnavailable(Forbidden):
    code = "partner_suspended"


def _case_open_locked(case: Case) -> bool:
    """Whether the case is open, read under a shared lock held to the end of the transaction.

    `case_close` takes an exclusive lock, so a case closed at this moment cannot still take
    this query; submissions share the lock, so they never wait for one another. (SQLite's
    IMMEDIATE transactions serialize writers anyway.)
    """
    if connection.vendor != "postgresql":
        return bool(Case.objects.filter(pk=case.pk, status=CaseStatus.OPEN).exists())
    with connection.cursor() as cursor:
        cursor.execute("SELECT status FROM gateway_case WHERE id = %s FOR SHARE", [case.pk])
        row = cursor.fetchone()
    return row is not None and row[0] == CaseStatus.OPEN


class RefusedByRule(Conflict):
    """The kind's own rule refuses the query before it leaves (a third stop of one account);
    its `code` is the rule's reason code."""


class SendingChecks:
    """Why a query may not leave now (`refusal`), for the queries of one case sent in one
    transaction: the case's shared lock and each grant are read once for all of them (a
    trace's answer sends many), since neither changes before the transaction ends."""

    def __init__(self, *, unit: Partner, case: Case) -> None:
        self.unit = unit
        self.case = case
        self._case_open: bool | None = None
        self._granted: dict[tuple[int, str], bool] = {}

    def refusal(self, *, partner: Partner, spec: KindSpec, query: Query) -> DomainError | None:
        """Its case closed (read under the shared lock), its partner suspended, no active
        grant of the unit for its kind, or its kind's own rule (`KindSpec.refusal`)."""
        if self._case_open is None:
            self._case_open = _case_open_locked(self.case)
        if not self._case_open:
            return CaseClosed("The case is closed; it accepts no new queries.")
        if not partner.is_active:
            return PartnerUnavailable("This partner is suspended; nothing can be sent to it.")
        grant = (partner.pk, spec.name)
        if grant not in self._granted:
            self._granted[grant] = grants_active_for(unit=self.unit, partner=partner, kind=spec.name).exists()
        if not self._granted[grant]:
            return NoGrant(f"Your unit holds no active grant to send {spec.name} requests to {partner.code}.")
        code = spec.refusal(query)
        if code is not None:
            refusal = RefusedByRule(f"The {spec.name} rules refuse this query ({code}).")
            refusal.code = code
            return refusal
        return None


def sending_refusal(
    *, unit: Partner, case: Case, partner: Partner, spec: KindSpec, query: Query
) -> DomainError | None:
    """Why `query` may not leave now, or None (`SendingChecks.refusal`). Checked when it is
    submitted and again when a supervisor approves it, since a grant may have ended or the
    case closed while it waited."""
    return SendingChecks(unit=unit, case=case).refusal(partner=partner, spec=spec, query=query)
