"""Cursor paging over a computed, sorted list (anomaly findings), in DRF's cursor response shape.

Findings are computed per request, not stored, so there is no queryset to page with
`CursorPagination`. The cursor is the sort key of the last finding shown: the next page
starts after it, so findings that appear meanwhile never shift a page. The query parameters,
their validation and the documented response shape are those of every other list.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from collections.abc import Sequence
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.pagination import NewestFirstCursorPagination
from core.errors import NotFound


class SortKeyCursorPagination(NewestFirstCursorPagination):
    """Pages a list of items that each have a `sort_key` of (str, str, str, int)."""

    def paginate(self, items: Sequence[Any], request: Request) -> tuple[Sequence[Any], str | None]:
        """The page after the request's cursor, and the next page's URL (None on the last page)."""
        keys = [list(item.sort_key) for item in items]
        start = bisect.bisect_right(keys, self._decode(request.query_params.get(self.cursor_query_param)))
        size = self.get_page_size(request)
        page = items[start : start + size]
        if start + size >= len(items):
            return page, None
        cursor = base64.urlsafe_b64encode(json.dumps(page[-1].sort_key).encode()).decode()
        return page, replace_query_param(request.build_absolute_uri(), self.cursor_query_param, cursor)

    def response(self, results: Any, next_url: str | None) -> Response:
        return Response({"next": next_url, "previous": None, "results": results})

    def _decode(self, cursor: str | None) -> list[Any]:
        if not cursor:
            return []
        try:
            key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        except (binascii.Error, ValueError, RecursionError):  # RecursionError: a cursor nested deep
            raise NotFound("Invalid cursor.", code="invalid_cursor") from None
        shape = (str, str, str, int)
        if not (isinstance(key, list) and len(key) == len(shape)) or not all(
            type(part) is kind for part, kind in zip(key, shape, strict=True)
        ):
            raise NotFound("Invalid cursor.", code="invalid_cursor")
        return key
