"""Cursor pagination for every list: stable under inserts, cheap on large tables.

`?page_size=` that is given must be a whole number from 1 to the maximum: DRF would quietly
fall back to the default for `null`, `0` or `abc` and cut anything larger, so a caller who
asked for 1,000 rows would believe it had them all. Here it is a 400 instead, and the schema
states the bounds. An unknown `?cursor=` is a 404, as DRF answers it.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

PAGE_SIZE_QUERY_PARAM = "page_size"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")


def requested_page_size(request: Request, *, default: int, maximum: int) -> int:
    """The page size the request asks for, or `default` when it names none; 400 when invalid."""
    raw = request.query_params.get(PAGE_SIZE_QUERY_PARAM)
    if raw is None:
        return default
    if not _WHOLE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise ValidationError({PAGE_SIZE_QUERY_PARAM: [f"A whole number from 1 to {maximum}."]})
    return int(raw)


class NewestFirstCursorPagination(CursorPagination):
    """Newest first by `-id`, or by the view's `pagination_ordering` for tables keyed by
    random UUIDs, where the id says nothing of age."""

    ordering = "-id"
    page_size: int = DEFAULT_PAGE_SIZE
    page_size_query_param = PAGE_SIZE_QUERY_PARAM
    max_page_size = MAX_PAGE_SIZE
    cursor_query_description = "The `next` or `previous` link's cursor; an unknown cursor is a 404."

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> tuple[str, ...]:
        return (getattr(view, "pagination_ordering", self.ordering),)

    def get_page_size(self, request: Request) -> int:
        return requested_page_size(request, default=self.page_size, maximum=self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == PAGE_SIZE_QUERY_PARAM:
                parameter["description"] = (
                    f"Results per page, 1 to {self.max_page_size}; default {self.page_size}."
                )
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """DRF's shape, with what is always there marked required: `previous` and `next` are
        null at either end, never missing."""
        paginated: dict[str, Any] = super().get_paginated_response_schema(schema)
        paginated["required"] = ["next", "previous", "results"]
        return paginated
