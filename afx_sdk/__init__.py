"""The AFX adapter SDK: what a bank's or platform's engineers use to talk to the gateway.

It depends on nothing from the gateway and on no third-party package but `httpx` and
`http-message-signatures` (RFC 9421, which brings `cryptography`), so it can be copied into an
adapter's own project. An adapter implements a `Handler` (query in, answer
out) and runs it either in pull mode (`PullLoop` over a `GatewayClient`) or in push mode
(`PushReceiver` under `serve`).
"""

from .client import GatewayClient, fetch_gateway_keys
from .errors import AnswerConflict, GatewayError, GatewayUnavailable, QueryClosed
from .handler import AnswerCache, Handler, HandlerRegistry
from .kinds.order_lookup import ORDER_LOOKUP, OrderLookup, OrderLookupResult
from .lifecycle import stop_on_signals
from .models import Answer, AnswerStatus, MalformedMessage, Query, Result
from .nonces import MemoryNonceStore, NonceStore, SQLiteNonceStore
from .pull import Backoff, InboxClient, PullLoop
from .push import PushReceiver, gateway_keys_from_text, serve

__all__ = [
    "ORDER_LOOKUP",
    "Answer",
    "AnswerCache",
    "AnswerConflict",
    "AnswerStatus",
    "Backoff",
    "GatewayClient",
    "GatewayError",
    "GatewayUnavailable",
    "Handler",
    "HandlerRegistry",
    "InboxClient",
    "MalformedMessage",
    "MemoryNonceStore",
    "NonceStore",
    "OrderLookup",
    "OrderLookupResult",
    "PullLoop",
    "PushReceiver",
    "Query",
    "QueryClosed",
    "Result",
    "SQLiteNonceStore",
    "fetch_gateway_keys",
    "gateway_keys_from_text",
    "serve",
    "stop_on_signals",
]
