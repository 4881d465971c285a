"""The audit log in the Django admin: read-only, for administrators who browse rather than query."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEvent, SignedTreeHead, SigningKeyChange


class ReadOnlyAdmin(admin.ModelAdmin):
    """No add, change or delete: the triggers would refuse them anyway, this hides the buttons."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "actor_id", "actor_partner", "action", "outcome", "case_id"]
    list_filter = ["action", "outcome", "actor_type"]
    search_fields = ["=actor_id", "=case_id", "=target_id", "=request_id"]
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is not worth it


@admin.register(SignedTreeHead)
class SignedTreeHeadAdmin(ReadOnlyAdmin):
    list_display = ["number", "tree_size", "published_at", "key_id"]
    exclude = ["compact_range"]


@admin.register(SigningKeyChange)
class SigningKeyChangeAdmin(ReadOnlyAdmin):
    list_display = ["number", "previous_key_id", "key_id", "head_number", "tree_size", "changed_at"]
