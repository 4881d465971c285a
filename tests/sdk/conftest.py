"""Shared pieces of the SDK and simulator tests: keys, queries, and the contract gateway.

None of these tests touches the database: the SDK knows nothing of the gateway's models.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from afx_sdk import signing
from simulator.dataset import sample_order_numbers
from tests.sdk.contract_gateway import ContractGateway

# Fixed test keys (never used outside tests): the adapter's pair, and the gateway's push key.
KEY_ID = "0123456789abcdef"
PRIVATE_KEY = signing.load_private_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
GATEWAY_KEY = signing.load_private_key("QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8")
GATEWAY_PUBLIC_KEY = signing.public_key_text(GATEWAY_KEY)
GATEWAY_KEY_ID = signing.key_fingerprint(GATEWAY_KEY.public_key())
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
    published = [
        {"key_id": GATEWAY_KEY_ID, "algorithm": "ed25519", "public_key": GATEWAY_PUBLIC_KEY, "use": "push"},
        {"key_id": "police-key", "algorithm": "ed25519", "public_key": GATEWAY_PUBLIC_KEY, "use": "police"},
    ]
    gateway = ContractGateway(key_id=KEY_ID, public_key=PRIVATE_KEY.public_key(), published=published).start()
    yield gateway
    gateway.stop()
