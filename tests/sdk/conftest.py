"""Shared pieces of the SDK and simulator tests: keys, queries, and the contract gateway.

None of these tests touches the database: the SDK knows nothing of the gateway's models.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from simulator.dataset import sample_order_numbers
from tests.sdk.contract_gateway import ContractGateway

KEY_ID = "0123456789ab"
API_KEY = f"afx_{KEY_ID}_not-a-real-secret-part"
SIGNING_SECRET = "test-signing-secret"
SEED = 7
ORDERS = 1_000


def query_json(order_number: str, *, query_id: str | None = None, partner: str = "paylink") -> dict[str, Any]:
    """A query as the gateway sends it, for one order number."""
    now = datetime.now(UTC)
    return {
        "id": query_id or str(uuid.uuid4()),
        "kind": "order_lookup",
        "partner": partner,
        "case_reference": "case-0001",
        "input": {"order_number": order_number, "amount": None, "paid_at": None},
        "deadline": (now + timedelta(seconds=30)).isoformat(),
        "created_at": now.isoformat(),
    }


@pytest.fixture
def order_numbers() -> list[str]:
    return sample_order_numbers("paylink", 5, SEED, orders=ORDERS)


@pytest.fixture
def contract_gateway() -> Iterator[ContractGateway]:
    gateway = ContractGateway(api_key=API_KEY, signing_secret=SIGNING_SECRET).start()
    yield gateway
    gateway.stop()
