"""Patrol frequencies are reference data (bureau administrators edit them, supervisors read them,
through authority); patrols and overdue alerts are records, read-only, for superusers."""

from __future__ import annotations

from django.contrib import admin

from tasks_app.console.reference_admin import SuperuserOnlyMixin, with_authority

from .models import Patrol, PatrolAlert, PatrolRule


class PatrolRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "applies_to", "road", "region", "grid", "every_hours",
                    "is_active")
    list_filter = ("applies_to", "is_active")
    list_editable = ("every_hours", "is_active")
    list_display_links = ("__str__",)
    autocomplete_fields = ("road", "grid", "region")


admin.site.register(PatrolRule, with_authority(PatrolRuleAdmin))


class ReadOnly(SuperuserOnlyMixin, admin.ModelAdmin):
    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Patrol)
class PatrolAdmin(ReadOnly):
    list_display = ("officer", "started_at", "ended_at", "status", "distance_m",
                    "check_in_count")
    list_filter = ("status",)
    date_hierarchy = "started_at"


@admin.register(PatrolAlert)
class PatrolAlertAdmin(ReadOnly):
    list_display = ("__str__", "place_kind", "period_start", "last_patrolled_at", "created_at")
    list_filter = ("place_kind",)
