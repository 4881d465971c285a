"""What a partner receives: a query as JSON, identical in a push webhook and in the inbox.

This is where the identifier asked about leaves AFX in plaintext, over signed HTTPS, to the
one partner the query is addressed to: it cannot answer without it.
"""

from __future__ import annotations

from typing import Any

from exchange.kinds import spec_of
from exchange.models import Query


def query_to_wire(query: Query) -> dict[str, Any]:
    return {
        "id": str(query.pk),
        "kind": query.kind,
        "partner": query.partner.code,
        "case_reference": str(query.case_id),
        "input": spec_of(query).wire_input(query),
        "deadline": query.deadline.isoformat(),
        "created_at": query.created_at.isoformat(),
    }
