"""Feed batches in the Django admin (read-only); no personal data there.

Feed records, clerical pairs and layer memberships are personal data: the administrator
roles do not see them (as for the registry); caseworkers use the monitoring pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from minzheng.monitoring.models import FeedBatch


@admin.register(FeedBatch)
class FeedBatchAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "file_name", "status", "rows", "created", "updated", "rejected")
    list_filter = ("kind", "status")
    readonly_fields = [f.name for f in FeedBatch._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
