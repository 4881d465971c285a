"""The one JSON parser of the API: orjson, and a nesting limit, so no body can crash a view.

DRF's own parser is the standard library's recursive decoder: a body nested 50,000 deep
raises `RecursionError`, a 500 even on the anonymous sign-in endpoint. orjson stops at
1,024 levels with a `JSONDecodeError`; but what it accepts can still be too deep for the
recursive encoders after it (a `JSONField` checks its value with `json.dumps`, which fails
near 1,000 levels), so the parsed value is also walked, without recursion, against
`MAX_DEPTH`, far above anything the API takes and far below any recursion limit.
"""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


def _depth_within(value: Any, limit: int) -> bool:
    """Whether no array or object in `value` lies more than `limit` levels deep."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        pending.extend((child, depth + 1) for child in children)
    return True


class JSONParser(parsers.JSONParser):
    """`application/json` bodies as Python values; malformed or too deep is a `ParseError`.

    A subclass of DRF's, because DRF reads the body of its own JSON parser through
    `HttpRequest.body`, which enforces `DATA_UPLOAD_MAX_MEMORY_SIZE` (a 413); any other parser
    gets the raw stream, unbounded. The error's text is fixed: a decoder's message may quote
    the bytes it received.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = orjson.loads(stream.read())
        except orjson.JSONDecodeError:
            raise ParseError("The body is not valid JSON.") from None
        if not _depth_within(data, MAX_DEPTH):
            raise ParseError("The body is nested too deeply.")
        return data
