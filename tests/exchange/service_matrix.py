"""Service-matrix rows of the exchange: every service and selector of `exchange`, and the inbox.

What each identity of the world reaches (`exchange.querysets`): police their unit's case
(`case_a`, unit A) and its query (`query_a`, sent to platform X); platform X's adapter that
query, to answer it; the auditor both, to view; nobody else anything. An act on an object
out of reach is the not-found of a missing object; an act that names no object (opening a
case, searching accounts) is forbidden to anyone but police. Lists are "ok" for everyone:
they hold what the caller reaches (`tests/exchange/test_access.py` checks what that is).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from exchange import selectors
from exchange.delivery.inbox import inbox_lease
from exchange.services import answers, cases, disclosure, queries
from tests.exchange.conftest import ANSWER
from tests.exchange.service_matrix_holds import ROWS as HOLD_ROWS
from tests.exchange.service_matrix_traces import ROWS as TRACE_ROWS
from tests.service_matrix import ServiceRow, every

POLICE_A = ("officer_a", "supervisor_a")
POLICE = (*POLICE_A, "officer_b")


def reaching(*identities: str, outcome: str = "ok") -> dict[str, str]:
    """`outcome` for the identities that reach the object; not found for everybody else."""
    return every("not_found", **dict.fromkeys(identities, outcome))


def police_act() -> dict[str, str]:
    """An act that names no object: police may, everybody else is forbidden."""
    return every("forbidden", **dict.fromkeys(POLICE, "ok"))


def _open(world: Any, actor: Any) -> object:
    return cases.case_open(
        actor=actor,
        number="M-1",
        title="Refund scam",
        fraud_type="online_shopping",
        legal_basis="Art. 31",
        victim_loss=Decimal("10.00"),
    )


def _submission(world: Any, case_id: Any = None, partner: str = "") -> queries.Submission:
    return queries.Submission(
        case_id=case_id or world.case_a.pk,
        kind="order_lookup",
        partner=partner or world.platform_x.code,
        input={"order_number": "PX0000000002"},
    )


def _submit_into_closed_case(world: Any, actor: Any) -> object:
    cases.case_close(actor=world.officer_a, case_id=world.case_a.pk)
    return queries.query_submit(actor=actor, submission=_submission(world))


def _batch(world: Any, actor: Any) -> object:
    """One item into case A; the item's refusal is the outcome (a batch refuses per item)."""
    (result,) = queries.query_submit_batch(actor=actor, submissions=[_submission(world)])
    if result.error is not None:
        raise result.error
    return result


ROWS = [
    ServiceRow("exchange.services.cases.case_open", _open, police_act()),
    ServiceRow(
        "exchange.services.cases.case_close",
        lambda w, a: cases.case_close(actor=a, case_id=w.case_a.pk),
        reaching(*POLICE_A),
    ),
    ServiceRow(
        "exchange.services.cases.case_close",
        lambda w, a: cases.case_close(actor=a, case_id=uuid.uuid4()),
        every("not_found"),
        variant="missing case",
    ),
    ServiceRow(
        "exchange.services.queries.query_submit",
        lambda w, a: queries.query_submit(actor=a, submission=_submission(w)),
        reaching(*POLICE_A),
    ),
    ServiceRow(
        "exchange.services.queries.query_submit",
        lambda w, a: queries.query_submit(actor=a, submission=_submission(w, partner="no-such-partner")),
        reaching(*POLICE_A, outcome="invalid"),
        variant="unknown partner",
    ),
    ServiceRow(
        "exchange.services.queries.query_submit",
        _submit_into_closed_case,
        reaching(*POLICE_A, outcome="conflict"),
        variant="closed case",
    ),
    ServiceRow("exchange.services.queries.query_submit_batch", _batch, reaching(*POLICE_A)),
    ServiceRow(
        "exchange.services.queries.case_submitter",
        lambda w, a: queries.case_submitter(actor=a, case_id=w.case_a.pk).submit(_submission(w)),
        reaching(*POLICE_A),
    ),
    ServiceRow(
        "exchange.services.answers.answer_record",
        lambda w, a: answers.answer_record(actor=a, query_id=w.query_a.pk, payload=ANSWER),
        reaching("adapter_x"),
    ),
    ServiceRow(
        "exchange.services.answers.answer_record",
        lambda w, a: answers.answer_record(
            actor=a, query_id=w.query_a.pk, payload={"status": "answered", "result": {"bank": "x"}}
        ),
        reaching("adapter_x", outcome="invalid"),
        variant="invalid answer",
    ),
    ServiceRow(
        "exchange.services.disclosure.query_reveal",
        lambda w, a: disclosure.query_reveal(actor=a, query_id=w.query_a.pk, purpose="evidence"),
        reaching(*POLICE_A),
    ),
    ServiceRow(
        "exchange.services.disclosure.account_search",
        lambda w, a: disclosure.account_search(actor=a, account_number="6222020200112233445"),
        police_act(),
    ),
    ServiceRow("exchange.selectors.case_list", lambda w, a: list(selectors.case_list(a)), every("ok")),
    ServiceRow(
        "exchange.selectors.case_get",
        lambda w, a: selectors.case_get(a, w.case_a.pk),
        reaching(*POLICE_A, "auditor"),
    ),
    ServiceRow(
        "exchange.selectors.case_get",
        lambda w, a: selectors.case_get(a, "not-a-uuid"),
        every("not_found"),
        variant="not a key",
    ),
    ServiceRow("exchange.selectors.query_list", lambda w, a: list(selectors.query_list(a)), every("ok")),
    ServiceRow(
        "exchange.selectors.query_get",
        lambda w, a: selectors.query_get(a, w.query_a.pk),
        reaching(*POLICE_A, "auditor", "adapter_x"),
    ),
    ServiceRow(
        "exchange.delivery.inbox.inbox_lease", lambda w, a: inbox_lease(adapter=a, limit=10), every("ok")
    ),
]

ROWS += [*TRACE_ROWS, *HOLD_ROWS]  # the traces' and the holds' rows, kept in files of their own
