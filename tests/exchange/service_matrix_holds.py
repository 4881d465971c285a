"""Service-matrix rows of approvals and holds, and the helpers their tests share.

Unit A's queries to the world's bank need grants (the world gives none): `bank_grants`. A
freeze waits for a supervisor; the world's own query (`query_a`, an order lookup) is
pending, so approving it is a conflict for the one who reaches it (unit A's supervisor).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from exchange import selectors
from exchange.models import Query
from exchange.services import answers, approvals, holds, queries
from partners.identity import AdapterPrincipal
from tests import factories
from tests.service_matrix import ServiceRow, every

ACCOUNT = "6222020200112233445"
OTHER_ACCOUNT = "6222020200998877665"
HOLDER = "李四"


def reaching(*identities: str, outcome: str = "ok") -> dict[str, str]:
    return every("not_found", **dict.fromkeys(identities, outcome))


def bank_grants(world: Any, unit: Any = None) -> None:
    """Let unit A (or `unit`) send every bank kind to the world's bank."""
    for kind in factories.BANK_KINDS:
        factories.grant(unit or world.unit_a, world.bank, kind)


def stop_input(account: str = ACCOUNT) -> dict[str, str]:
    return {
        "account_number": account,
        "holder_name": HOLDER,
        "amount": "5200.00",
        "transaction_at": "2026-11-21T10:00:00+08:00",
    }


def freeze_input(account: str = ACCOUNT, period_days: int = 30) -> dict[str, Any]:
    return {
        "account_number": account,
        "holder_name": HOLDER,
        "amount": "5200.00",
        "decision_reference": "DJ-2026-0042",
        "period_days": period_days,
    }


def submit(world: Any, kind: str, data: dict[str, Any], actor: Any = None, case: Any = None) -> Query:
    """A query of `kind` to the world's bank in case A (or `case`), by officer A (or `actor`)."""
    return queries.query_submit(
        actor=actor or world.officer_a,
        submission=queries.Submission(
            case_id=(case or world.case_a).pk, kind=kind, partner=world.bank.code, input=data
        ),
    )


def bank_adapter(world: Any) -> AdapterPrincipal:
    """The world's bank's adapter (its key made on first need)."""
    held = world.bank.adapter_keys.first() or factories.adapter_key(world.bank).key
    return AdapterPrincipal(key=held)


def bank_answer(world: Any, query: Query, result: dict[str, Any]) -> Query:
    answered, _ = answers.answer_record(
        actor=bank_adapter(world), query_id=query.pk, payload={"status": "answered", "result": result}
    )
    return answered


def awaiting_freeze(world: Any, requester: Any = None) -> Query:
    """A freeze of case A waiting for a supervisor, asked by officer A (or `requester`)."""
    bank_grants(world)
    return submit(world, "freeze", freeze_input(), actor=requester)


ROWS: list[ServiceRow] = [
    ServiceRow(
        "exchange.services.approvals.query_approve",
        lambda w, a: approvals.query_approve(actor=a, query_id=awaiting_freeze(w).pk),
        reaching("supervisor_a"),
    ),
    ServiceRow(
        "exchange.services.approvals.query_approve",
        lambda w, a: approvals.query_approve(actor=a, query_id=awaiting_freeze(w, w.supervisor_a).pk),
        reaching("supervisor_a", outcome="forbidden"),
        variant="own request",
    ),
    ServiceRow(
        "exchange.services.approvals.query_approve",
        lambda w, a: approvals.query_approve(actor=a, query_id=w.query_a.pk),
        reaching("supervisor_a", outcome="conflict"),
        variant="not awaiting approval",
    ),
    ServiceRow(
        "exchange.services.approvals.query_reject",
        lambda w, a: approvals.query_reject(actor=a, query_id=awaiting_freeze(w).pk, reason="duplicate"),
        reaching("supervisor_a"),
    ),
    ServiceRow(
        "exchange.services.approvals.query_reject",
        lambda w, a: approvals.query_reject(actor=a, query_id=awaiting_freeze(w).pk, reason="because"),
        every("invalid"),
        variant="free-text reason",
    ),
    ServiceRow(
        "exchange.services.approvals.query_cancel",
        lambda w, a: approvals.query_cancel(actor=a, query_id=w.query_a.pk),
        reaching("officer_a", "supervisor_a"),
    ),
    ServiceRow(
        "exchange.services.holds.hold_list",
        lambda w, a: list(holds.hold_list(actor=a, case_id=w.case_a.pk)),
        reaching("officer_a", "supervisor_a", "auditor"),
    ),
    # A list restricted to what the actor may see: nobody is refused, the unit's own are kept
    # (tests/console/test_dashboard.py checks which stops each reader gets).
    ServiceRow(
        "exchange.selectors.stops_expiring",
        lambda w, a: list(selectors.stops_expiring(a, within=timedelta(days=2))),
        every("ok"),
    ),
]
