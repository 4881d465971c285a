"""The AFX adapter SDK: what a bank's or platform's engineers use to talk to the gateway.

It depends on nothing from the gateway and on no third-party package but `httpx`, so it can
be copied into an adapter's own project. An adapter implements a `Handler` (query in, answer
out) and runs it either in pull mode (`PullLoop` over a `GatewayClient`) or in push mode
(`PushReceiver` under `serve`).
"""

from .client import GatewayClient
from .errors import AnswerConflict, GatewayError, GatewayUnavailable, QueryClosed
from .handler import AnswerCache, Handler, HandlerRegistry
from .lifecycle import stop_on_signals
from .models import (
    ORDER_LOOKUP,
    Answer,
    AnswerResult,
    AnswerStatus,
    MalformedMessage,
    OrderLookup,
    Query,
)
from .pull import Backoff, InboxClient, PullLoop
from .push import NonceStore, PushReceiver, key_id_from_api_key, serve

__all__ = [
    "ORDER_LOOKUP",
    "Answer",
    "AnswerCache",
    "AnswerConflict",
    "AnswerResult",
    "AnswerStatus",
    "Backoff",
    "GatewayClient",
    "GatewayError",
    "GatewayUnavailable",
    "Handler",
    "HandlerRegistry",
    "InboxClient",
    "MalformedMessage",
    "NonceStore",
    "OrderLookup",
    "PullLoop",
    "PushReceiver",
    "Query",
    "QueryClosed",
    "key_id_from_api_key",
    "serve",
    "stop_on_signals",
]
