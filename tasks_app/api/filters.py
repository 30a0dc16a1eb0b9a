"""Filters and ordering for the task list. Filters only narrow the caller's scope, which the view
takes from ``selectors.tasks_visible_to``."""

from __future__ import annotations

from datetime import UTC

from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.filters import OrderingFilter

from gridmgmt import clock
from gridmgmt.models import Department, Duty, Grid, Officer, Region, Road, Role

from ..inputs import raw_text
from ..models import Campaign, Category, Light, Source, Task
from ..selectors import by_urgency, officer_of
from ..workflow import OPEN_STATUSES, Status


class IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class IdFilter(filters.NumberFilter):
    """A row id: a whole number (NumberFilter alone would take 1e300 and reach the database)."""

    field_class = IdField


class InstantField(IsoDateTimeField):
    """An ISO 8601 instant, kept in UTC: an arbitrary offset (+21:56 parses) cannot reach the
    database, and years far outside the records are refused rather than overflowing."""

    default_error_messages = {"range": _("Give a date and time between the years 1900 and "
                                         "2999.")}

    def clean(self, value):
        value = super().clean(raw_text(value))
        if value is None:
            return None
        if not 1900 <= value.year <= 2999:
            raise forms.ValidationError(self.error_messages["range"], "range")
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError(self.error_messages["range"], "range") from exc


class InstantFilter(filters.IsoDateTimeFilter):
    field_class = InstantField


class BBoxField(forms.CharField):
    default_error_messages = {
        "invalid": _("Give the box as minlng,minlat,maxlng,maxlat in WGS-84 degrees."),
    }

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            box = [float(v) for v in value.split(",")]
        except ValueError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], "invalid") from exc
        if len(box) != 4:
            raise forms.ValidationError(self.error_messages["invalid"], "invalid")
        min_lng, min_lat, max_lng, max_lat = box
        if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise forms.ValidationError(self.error_messages["invalid"], "invalid")
        return min_lng, min_lat, max_lng, max_lat


@extend_schema_field(OpenApiTypes.STR)
class BBoxFilter(filters.Filter):
    field_class = BBoxField

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if not value:
            return qs
        min_lng, min_lat, max_lng, max_lat = value
        return qs.filter(lng__gte=min_lng, lng__lte=max_lng, lat__gte=min_lat, lat__lte=max_lat)


class TaskFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=Status.choices, help_text=_(
        "One or more statuses (repeat the parameter)."))
    open = filters.BooleanFilter(method="filter_open", help_text=_("Only open (or closed) tasks."))
    light = filters.MultipleChoiceFilter(choices=Light.choices)
    source = filters.MultipleChoiceFilter(choices=Source.choices)
    category = IdFilter(field_name="category_id")
    grid = IdFilter(field_name="grid_id")
    road = IdFilter(field_name="road_id")
    community = IdFilter(field_name="grid__community_id")
    street = IdFilter(field_name="grid__community__parent_id")
    district = IdFilter(field_name="grid__community__parent__parent_id")
    region = IdFilter(method="filter_region", help_text=_(
        "Tasks in this district, street or community."))
    assignee = filters.CharFilter(
        method="filter_assignee", help_text=_("An officer id, or `me` for the caller."),
        validators=[RegexValidator(r"^(me|[0-9]{1,18})$", _("Give an officer id or `me`."))])
    department = IdFilter(field_name="department_id")
    campaign = IdFilter(field_name="campaign_id")
    repeat = filters.BooleanFilter(method="filter_repeat", help_text=_(
        "Only repeated problems (or only first occurrences)."))
    supervised = filters.BooleanFilter()
    fixed_on_spot = filters.BooleanFilter()
    reported_after = InstantFilter(field_name="reported_at", lookup_expr="gte")
    reported_before = InstantFilter(field_name="reported_at", lookup_expr="lt")
    deadline_after = InstantFilter(field_name="deadline", lookup_expr="gte")
    deadline_before = InstantFilter(field_name="deadline", lookup_expr="lt")
    closed_after = InstantFilter(field_name="closed_at", lookup_expr="gte")
    closed_before = InstantFilter(field_name="closed_at", lookup_expr="lt")
    bbox = BBoxFilter(help_text=_("minlng,minlat,maxlng,maxlat"))

    class Meta:
        model = Task
        fields: list[str] = []

    def filter_open(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        return qs.filter(status__in=OPEN_STATUSES) if value else qs.exclude(
            status__in=OPEN_STATUSES)

    def filter_region(self, qs: QuerySet, name: str, value) -> QuerySet:
        if value is None:
            return qs
        return qs.filter(Q(grid__community_id=value) | Q(grid__community__parent_id=value)
                         | Q(grid__community__parent__parent_id=value))

    def filter_assignee(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return qs
        if value == "me":
            officer = officer_of(self.request.user if self.request else None)
            return qs.filter(assignee=officer) if officer else qs.none()
        return qs.filter(assignee_id=int(value))

    def filter_repeat(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        return qs.filter(repeat_of__isnull=not value)


class TaskFilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the request names no filter: building the
    FilterSet (a deep copy of its 27 filters, their form fields and labels) costs more than the
    rest of an unfiltered page's Python, and with no filter given it narrows nothing."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
                name in filterset_class.base_filters for name in request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)


class TaskOrdering(OrderingFilter):
    """``ordering=urgency``: red, then yellow, then green, nearest deadline first (the officer's
    phone list); otherwise the named fields, newest report first by default."""

    ordering_fields = ["reported_at", "deadline", "updated_at", "closed_at", "id", "code",
                       "status", "light", "escalation_level"]
    # Lazy, so the schema is in the reader's language (DRF passes it through force_str).
    ordering_description = _(  # type: ignore[assignment]
        "urgency, or a field: reported_at, deadline, updated_at, closed_at, id, code, status, "
        "light, escalation_level; prefix - to reverse.")

    def filter_queryset(self, request, queryset, view):
        if request.query_params.get(self.ordering_param, "").strip() == "urgency":
            return by_urgency(queryset)
        ordering = self.get_ordering(request, queryset, view) or ["-reported_at"]
        return queryset.order_by(*ordering, "-pk")

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            param["schema"] = {"type": "string", "enum": ["urgency", *[
                prefix + f for f in self.ordering_fields for prefix in ("", "-")]]}
        return params



# -- reference data ------------------------------------------------------------------------------

class GridFilter(filters.FilterSet):
    code = filters.CharFilter()
    community = IdFilter(field_name="community_id")
    street = IdFilter(field_name="community__parent_id")

    class Meta:
        model = Grid
        fields: list[str] = []


class RoadFilter(filters.FilterSet):
    code = filters.CharFilter()

    class Meta:
        model = Road
        fields: list[str] = []


class RegionFilter(filters.FilterSet):
    code = filters.CharFilter()
    level = filters.ChoiceFilter(choices=Region.Level.choices)
    parent = IdFilter(field_name="parent_id")

    class Meta:
        model = Region
        fields: list[str] = []


class DepartmentFilter(filters.FilterSet):
    code = filters.CharFilter()
    district = IdFilter(field_name="district_id")

    class Meta:
        model = Department
        fields: list[str] = []


class OfficerFilter(filters.FilterSet):
    department = IdFilter(field_name="department_id")
    role = filters.ChoiceFilter(choices=Role.choices, method="filter_role",
                                help_text=_("Officers holding this role now."))

    class Meta:
        model = Officer
        fields: list[str] = []

    def filter_role(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        current = Duty.objects.valid_at(clock.now()).filter(role=value)
        return qs.filter(pk__in=current.values("officer_id"))


class CategoryFilter(filters.FilterSet):
    code = filters.CharFilter()
    kind = filters.ChoiceFilter(choices=Category.Kind.choices)
    is_active = filters.BooleanFilter()

    class Meta:
        model = Category
        fields: list[str] = []


class CampaignFilter(filters.FilterSet):
    lead_department = IdFilter(field_name="lead_department_id")

    class Meta:
        model = Campaign
        fields: list[str] = []
