"""Admin for where and who: the region tree, grids, roads, departments, officers, their duties and
the work calendar. Big foreign keys use autocomplete so no page loads thousands of options.

These classes are registered by ``tasks_app.admin_reference``, which wraps them with the authority
that decides who edits reference data (this package never imports ``tasks_app``)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import clock, services
from .errors import DomainError
from .models import (
    CalendarDay,
    Duty,
    Grid,
    Officer,
    Region,
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


class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


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


class RoadAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "updated_at"]
    search_fields = ["code", "name"]
    readonly_fields = ["updated_at"]


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


class OfficerCreateForm(forms.ModelForm):
    """A new officer with their own login, made by ``services.officer_create``."""

    username = forms.CharField(label=_("username"), max_length=150,
                               validators=[UnicodeUsernameValidator()])
    password = forms.CharField(label=_("password"), strip=False, widget=forms.PasswordInput,
                               help_text=_("The officer's first password; they can change it."))

    class Meta:
        model = Officer
        fields = ["name", "phone", "email", "language", "department"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("password"):
            try:
                password_validation.validate_password(
                    cleaned["password"], get_user_model()(username=cleaned.get("username", "")))
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class OfficerAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "phone", "email", "department", "language"]
    list_filter = ["department", "language"]
    search_fields = ["name", "phone", "email", "user__username"]
    autocomplete_fields = ["department"]
    list_select_related = ["user", "department"]
    inlines = [DutyInline]
    # An officer's login is made with them and stays theirs.
    readonly_fields = ["user"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "username", "password", "phone", "email", "language", "department"]
        return ["name", "user", "phone", "email", "language", "department"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = OfficerCreateForm
            kwargs["fields"] = OfficerCreateForm.Meta.fields
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        try:
            officer = services.officer_create(
                username=data["username"], password=data["password"], name=data["name"],
                phone=data["phone"], email=data["email"], language=data["language"],
                department=data["department"])
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        # The page goes on with this row: its duties are saved under it, the log names it.
        obj.pk, obj.user = officer.pk, officer.user
        obj._state.adding = False


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


class WorkCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "updated_at"]
    list_filter = ["is_default"]
    search_fields = ["name"]
    readonly_fields = ["updated_at"]
    inlines = [WorkPeriodInline, CalendarDayInline]
    actions = ["fill_holidays"]

    @admin.action(description=_("Fill in China's holidays for this year and next"),
                  permissions=["change"])
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


class WorkPeriodAdmin(admin.ModelAdmin):
    list_display = ["calendar", "weekday", "start", "end"]
    list_filter = ["calendar", "weekday"]
    list_select_related = ["calendar"]


class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "calendar"]
    list_filter = ["calendar", "kind"]
    search_fields = ["name"]
    list_select_related = ["calendar"]
    date_hierarchy = "date"

