"""A read-only admin view of the outbound-call audit log (no add, change or delete)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from technowiz.models import OutboundCall


@admin.register(OutboundCall)
class OutboundCallAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "action",
        "attempt",
        "username",
        "origin",
        "status",
        "platform_code",
        "effective_outcome",
        "duration_ms",
    ]
    list_filter = ["outcome", "action", "method"]
    search_fields = ["username", "origin", "path", "=call_id"]
    date_hierarchy = "started_at"
    list_select_related = ["user"]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in OutboundCall._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
