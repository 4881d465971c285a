"""Cursor pagination for every list: stable under inserts, cheap on large tables."""

from typing import Any

from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    """Newest first by `-id`, or by the view's `pagination_ordering` for tables keyed by
    random UUIDs, where the id says nothing of age."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> tuple[str, ...]:
        return (getattr(view, "pagination_ordering", self.ordering),)
