"""Admin for where and who: the region tree, grids, roads, departments, officers, their duties and
the work calendar. Big foreign keys use autocomplete so no page loads thousands of options."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import clock, services
from .models import (
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


class StreetFilter(admin.SimpleListFilter):
    """Grids by street (their community's parent), listing only streets."""

    title = _("street")
    parameter_name = "street"

    def lookups(self, request, model_admin):
        return Region.objects.filter(level=Region.Level.STREET).values_list("pk", "name")

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(community__parent_id=self.value())
        return queryset


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "community", "street", "updated_at"]
    list_filter = [StreetFilter]
    search_fields = ["code", "name", "community__name"]
    autocomplete_fields = ["community"]
    list_select_related = ["community__parent"]
    readonly_fields = ["updated_at"]

    @admin.display(description=_("street"), ordering="community__parent__name")
    def street(self, obj: Grid):
        return obj.community.parent


@admin.register(Road)
class RoadAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "updated_at"]
    search_fields = ["code", "name"]
    readonly_fields = ["updated_at"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "district"]
    list_filter = ["district"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["district"]
    list_select_related = ["district"]


class DutyInline(admin.TabularInline):
    model = Duty
    extra = 0
    fields = ["role", "region", "grid", "road", "department", "valid_from", "valid_to"]
    autocomplete_fields = ["region", "grid", "road", "department"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("region", "grid", "road",
                                                            "department")


@admin.register(Officer)
class OfficerAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "phone", "email", "department", "language"]
    list_filter = ["department", "language"]
    search_fields = ["name", "phone", "email", "user__username"]
    autocomplete_fields = ["user", "department"]
    list_select_related = ["user", "department"]
    inlines = [DutyInline]


class ValidityFilter(admin.SimpleListFilter):
    title = _("validity")
    parameter_name = "validity"

    def lookups(self, request, model_admin):
        return [("current", _("Valid now")), ("ended", _("Ended")), ("future", _("Not yet valid"))]

    def queryset(self, request, queryset):
        now = clock.now()
        if self.value() == "current":
            return queryset.valid_at(now)
        if self.value() == "ended":
            return queryset.filter(valid_to__lte=now)
        if self.value() == "future":
            return queryset.filter(valid_from__gt=now)
        return queryset


@admin.register(Duty)
class DutyAdmin(admin.ModelAdmin):
    list_display = ["officer", "role", "target", "valid_from", "valid_to", "valid_now"]
    list_filter = ["role", ValidityFilter, "department"]
    search_fields = ["officer__name", "officer__user__username", "grid__code", "grid__name",
                     "road__name", "region__name", "department__name"]
    autocomplete_fields = ["officer", "region", "grid", "road", "department"]
    list_select_related = ["officer", "region", "grid", "road", "department"]
    date_hierarchy = "valid_from"

    @admin.display(description=_("responsible for"))
    def target(self, obj: Duty):
        return obj.target

    @admin.display(description=_("valid now"), boolean=True)
    def valid_now(self, obj: Duty) -> bool:
        now = clock.now()
        return obj.valid_from <= now and (obj.valid_to is None or obj.valid_to > now)


class WorkPeriodInline(admin.TabularInline):
    model = WorkPeriod
    extra = 0


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0


@admin.register(WorkCalendar)
class WorkCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "updated_at"]
    list_filter = ["is_default"]
    search_fields = ["name"]
    readonly_fields = ["updated_at"]
    inlines = [WorkPeriodInline, CalendarDayInline]
    actions = ["fill_holidays"]

    @admin.action(description=_("Fill in China's holidays for this year and next"))
    def fill_holidays(self, request, queryset):
        year = clock.now().year
        for calendar in queryset:
            added, kept = services.calendar_fill_from_holidays(calendar=calendar,
                                                               years=[year, year + 1])
            self.message_user(
                request,
                ngettext(
                    "%(name)s: %(added)d day added (%(kept)d already there).",
                    "%(name)s: %(added)d days added (%(kept)d already there).",
                    added,
                ) % {"name": calendar.name, "added": added, "kept": kept},
                messages.SUCCESS,
            )


@admin.register(WorkPeriod)
class WorkPeriodAdmin(admin.ModelAdmin):
    list_display = ["calendar", "weekday", "start", "end"]
    list_filter = ["calendar", "weekday"]
    list_select_related = ["calendar"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "calendar"]
    list_filter = ["calendar", "kind"]
    search_fields = ["name"]
    list_select_related = ["calendar"]
    date_hierarchy = "date"

