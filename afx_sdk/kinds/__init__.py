"""What each request kind takes and answers, one module per kind, as the gateway's kinds are
one package each (`exchange/kinds/<name>/` there, `afx_sdk/kinds/<name>.py` here).

A kind's module names the kind, gives its input type (read from a `Query` with
`from_query`) and its result type (the `R` of `Answer[R]`).
"""

from .number_block import (
    NUMBER_BLOCK,
    BlockOutcome,
    BlockReason,
    NumberBlock,
    NumberBlockResult,
    TelecomRefusal,
)

__all__ = [
    "NUMBER_BLOCK",
    "BlockOutcome",
    "BlockReason",
    "NumberBlock",
    "NumberBlockResult",
    "TelecomRefusal",
]
