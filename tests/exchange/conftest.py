"""Cases and queries on top of the shared world: unit A's open case, and a way to submit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from exchange.models import Case, Query
from exchange.services import answers, cases, queries
from partners.identity import AdapterPrincipal

ORDER = "PX20261121000000017"


@pytest.fixture
def case_a(world: Any) -> Case:
    """A second case of unit A; the world's own query is answered first, so inboxes start empty."""
    answer(world, world.query_a, {"status": "not_found"})
    return cases.case_open(
        actor=world.officer_a,
        number="CQ-2026-0001",
        title="Refund scam, victim 张三",
        fraud_type="online_shopping",
        legal_basis="Art. 31",
        victim_loss=Decimal("5200.00"),
    )


def submit(world: Any, case: Case, order_number: str = ORDER, partner: str | None = None) -> Query:
    return queries.query_submit(
        actor=world.officer_a,
        submission=queries.Submission(
            case_id=case.pk,
            kind="order_lookup",
            partner=partner or world.platform_x.code,
            input={"order_number": order_number, "amount": "5200.00"},
        ),
    )


def answer(world: Any, query: Query, payload: Any = None) -> Query:
    """Answer `query` as the adapter of the partner it was sent to (`ANSWER` when no payload)."""
    held = world.key_x if query.partner_id == world.platform_x.pk else world.key_y
    answered, _ = answers.answer_record(
        actor=AdapterPrincipal(key=held.key), query_id=query.pk, payload=payload or ANSWER
    )
    return answered


ANSWER_ACCOUNT = "6222 0202 0011 2233 445"  # typed where a test searches the answer's account
ANSWER = {
    "status": "answered",
    "result": {
        "bank": "East Commercial Bank",
        "account_number": ANSWER_ACCOUNT,
        "holder_name": "李四",
        "amount": "5200.00",
        "paid_at": "2026-11-21T10:00:00+08:00",
    },
}


def grant_another_kind(world: Any) -> None:
    """Let unit A see platform Y (a grant of a kind AFX no longer carries: such rows are kept)
    without the right to send it order lookups: the one case where a refusal may name a
    partner, as `no_grant`."""
    from datetime import timedelta

    from django.utils import timezone

    from partners.models import Grant
    from partners.permissions import send_permission

    Grant.objects.create(
        group=world.unit_a.group,
        permission=send_permission("account_trace"),
        content_object=world.platform_y,
        expires_at=timezone.now() + timedelta(days=1),
    )
