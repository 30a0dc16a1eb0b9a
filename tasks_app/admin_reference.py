"""Admin for reference data: categories, campaigns, the evaluation scheme, and the places, people,
duties and calendar of ``gridmgmt`` (its ModelAdmin classes, registered here with authority:
``gridmgmt`` never imports ``tasks_app``). Bureau administrators edit; supervisors read their
area's rows (``console.reference_admin``)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from gridmgmt import admin as grid_admin
from gridmgmt import clock
from gridmgmt.models import (
    CalendarDay,
    Department,
    Duty,
    Grid,
    Officer,
    Region,
    Road,
    WorkCalendar,
    WorkPeriod,
)

from .console import campaigns as console_campaigns
from .console.reference_admin import AuthorityAdminMixin, superuser_only, with_authority
from .models import Campaign, Category, EvaluationScheme

for _model, _admin_class in [
    (Region, grid_admin.RegionAdmin), (Grid, grid_admin.GridAdmin),
    (Road, grid_admin.RoadAdmin), (Department, grid_admin.DepartmentAdmin),
    (Officer, grid_admin.OfficerAdmin), (Duty, grid_admin.DutyAdmin),
    (WorkCalendar, grid_admin.WorkCalendarAdmin), (WorkPeriod, grid_admin.WorkPeriodAdmin),
    (CalendarDay, grid_admin.CalendarDayAdmin),
]:
    admin.site.register(_model, with_authority(_admin_class))

# Logins and groups (a bureau administrator gives an officer a login through the officer's
# page; superusers manage the rest), API tokens, beat schedules, lock-outs.
superuser_only(admin.site, {"auth", "authtoken", "django_celery_beat", "axes"})


@admin.register(Category)
class CategoryAdmin(AuthorityAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "time_limit", "time_unit", "points",
                    "high_deduction", "default_department", "auto_dispatch", "is_active"]
    list_filter = ["kind", "time_unit", "high_deduction", "auto_dispatch", "is_active",
                   "default_department"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["default_department"]
    list_select_related = ["default_department"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "is_active"]}),
        (_("Time limit and points"),
         {"fields": ["time_limit", "time_unit", "points", "high_deduction"]}),
        (_("Dispatch"), {"fields": ["default_department", "auto_dispatch"]}),
        (_("Repeats"), {"fields": ["repeat_radius_m", "repeat_window_days"]}),
        (_("Escalation ladder"), {"fields": ["yellow_ratio", "level2_limits", "level3_limits"]}),
    ]


@admin.register(Campaign)
class CampaignAdmin(AuthorityAdminMixin, admin.ModelAdmin):
    list_display = ["name", "lead_department", "starts_on", "deadline", "task_count",
                    console_campaigns.progress_column]
    # A callable is a valid read-only field (Django's docs); the stubs accept only names.
    readonly_fields = [console_campaigns.progress_panel]  # type: ignore[list-item]
    list_filter = ["lead_department"]
    search_fields = ["name", "description"]
    date_hierarchy = "starts_on"
    autocomplete_fields = ["lead_department", "streets", "grids"]
    filter_horizontal = ["cooperating_departments", "categories"]
    list_select_related = ["lead_department"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            n_tasks=Count("tasks"),
            **console_campaigns.progress_annotations(request.user, clock.now()))

    def get_fields(self, request, obj=None):
        # The campaign's progress heads its page; a campaign being added has none yet.
        fields = [f for f in super().get_fields(request, obj)
                  if f is not console_campaigns.progress_panel]
        # The read-only callable above, by itself rather than by name (as readonly_fields).
        return fields if obj is None else [
            console_campaigns.progress_panel, *fields]  # type: ignore[list-item]

    @admin.display(description=_("tasks"), ordering="n_tasks")
    def task_count(self, obj: Campaign) -> int:
        return obj.n_tasks  # type: ignore[attr-defined]  # annotated by get_queryset


@admin.register(EvaluationScheme)
class EvaluationSchemeAdmin(AuthorityAdminMixin, admin.ModelAdmin):
    """The weights of the monthly composite score; one scheme is active at a time."""

    list_display = ["name", "is_active", "base", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "is_active", "base", "updated_at"]}),
        (_("Rates (weight × fraction 0–1)"), {"fields": [
            "w_closed_rate", "w_on_time_rate", "w_rework_rate", "w_extension_rate",
            "w_patrol_rate", "w_self_fixed_rate", "w_third_party_rate"]}),
        (_("Public satisfaction (weight × (rate − 1): nothing lost without ratings)"), {
            "fields": ["w_satisfaction_rate"]}),
        (_("Counts (weight × number)"), {"fields": ["w_overdue", "w_repeats", "w_points"]}),
    ]
