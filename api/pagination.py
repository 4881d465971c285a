"""Cursor pagination for every list: stable under inserts, cheap on large tables."""

from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500


class NewestCreatedCursorPagination(NewestFirstCursorPagination):
    """For tables keyed by random UUIDs, where the id says nothing of age."""

    ordering = "-created_at"
