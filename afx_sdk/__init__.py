"""The AFX adapter SDK: what a bank's or platform's engineers use to talk to the gateway.

It depends on nothing from the gateway and on no third-party package but `httpx` and
`http-message-signatures` (RFC 9421, which brings `cryptography`), so it can be copied into an
adapter's own project. An adapter implements a `Handler` (query in, answer
out) and runs it either in pull mode (`PullLoop` over a `GatewayClient`) or in push mode
(`PushReceiver` under `serve`). Each kind's typed input and result is in `afx_sdk.kinds`
(a platform's `order_lookup`; a bank's `account_transfers`, `stop_payment` and the freezes;
a telecom's `number_block`),
and a bank verifies the unit's signed instruction on a stop or freeze with `verify_query`
and the keys of `fetch_unit_keys`.
"""

from .client import GatewayClient, fetch_gateway_keys, fetch_unit_keys
from .errors import AnswerConflict, GatewayError, GatewayUnavailable, QueryClosed
from .handler import AnswerCache, Handler, HandlerRegistry
from .instructions import InstructionError, UnitKeys, verify_query
from .kinds.account_transfers import (
    ACCOUNT_TRANSFERS,
    AccountTransfers,
    AccountTransfersResult,
    Channel,
    Transfer,
)
from .kinds.freeze import (
    FREEZE,
    FREEZE_RELEASE,
    FREEZE_RENEW,
    Freeze,
    FreezeOutcome,
    FreezeRelease,
    FreezeReleaseResult,
    FreezeRenew,
    FreezeRenewResult,
    FreezeResult,
    ReleaseOutcome,
    RenewOutcome,
)
from .kinds.number_block import (
    NUMBER_BLOCK,
    BlockOutcome,
    BlockReason,
    NumberBlock,
    NumberBlockResult,
    TelecomRefusal,
)
from .kinds.order_lookup import ORDER_LOOKUP, OrderLookup, OrderLookupResult
from .kinds.stop_payment import (
    STOP_PAYMENT,
    BankRefusal,
    CheckedField,
    StopOutcome,
    StopPayment,
    StopPaymentResult,
)
from .lifecycle import stop_on_signals
from .models import Answer, AnswerStatus, MalformedMessage, Query, Result
from .nonces import MemoryNonceStore, NonceStore, SQLiteNonceStore
from .pull import Backoff, InboxClient, PullLoop
from .push import PushReceiver, gateway_keys_from_text, serve

__all__ = [
    "ACCOUNT_TRANSFERS",
    "FREEZE",
    "FREEZE_RELEASE",
    "FREEZE_RENEW",
    "NUMBER_BLOCK",
    "ORDER_LOOKUP",
    "STOP_PAYMENT",
    "AccountTransfers",
    "AccountTransfersResult",
    "Answer",
    "AnswerCache",
    "AnswerConflict",
    "AnswerStatus",
    "Backoff",
    "BankRefusal",
    "BlockOutcome",
    "BlockReason",
    "Channel",
    "CheckedField",
    "Freeze",
    "FreezeOutcome",
    "FreezeRelease",
    "FreezeReleaseResult",
    "FreezeRenew",
    "FreezeRenewResult",
    "FreezeResult",
    "GatewayClient",
    "GatewayError",
    "GatewayUnavailable",
    "Handler",
    "HandlerRegistry",
    "InboxClient",
    "InstructionError",
    "MalformedMessage",
    "MemoryNonceStore",
    "NonceStore",
    "NumberBlock",
    "NumberBlockResult",
    "OrderLookup",
    "OrderLookupResult",
    "PullLoop",
    "PushReceiver",
    "Query",
    "QueryClosed",
    "ReleaseOutcome",
    "RenewOutcome",
    "Result",
    "SQLiteNonceStore",
    "StopOutcome",
    "StopPayment",
    "StopPaymentResult",
    "TelecomRefusal",
    "Transfer",
    "UnitKeys",
    "fetch_gateway_keys",
    "fetch_unit_keys",
    "gateway_keys_from_text",
    "serve",
    "stop_on_signals",
    "verify_query",
]
