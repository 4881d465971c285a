"""What a partner receives: a query as JSON, identical in a push webhook and in the inbox.

This is where the identifier asked about leaves AFX in plaintext, over signed HTTPS, to the
one partner the query is addressed to: it cannot answer without it. A stop or a freeze
carries the ordering unit's signature over the message (`instruction`), so the bank can
prove which unit ordered it, whatever carried it.
"""

from __future__ import annotations

from typing import Any

from exchange.instructions import instruction_sign
from exchange.kinds import spec_of
from exchange.models import Query


def query_to_wire(query: Query) -> dict[str, Any]:
    spec = spec_of(query)
    message: dict[str, Any] = {
        "id": str(query.pk),
        "kind": query.kind,
        "partner": query.partner.code,
        "case_reference": str(query.case_id),
        "input": spec.wire_input(query),
        "deadline": query.deadline.isoformat(),
        "created_at": query.created_at.isoformat(),
    }
    if spec.signed_by_unit:
        message["instruction"] = instruction_sign(message, query.case.unit)
    return message
