"""Serializers: tasks as read, the bodies of the report and the workflow actions, and the
reference data. They validate shapes only; every rule lives in ``services``."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gridmgmt.models import Department, Duty, Grid, Officer, Region, Road

from ..models import Campaign, Category, Photo, Source, Task, TaskEvent
from ..workflow import OPEN_STATUSES
from .fields import DateTimeField, IdField

# -- tasks as read --------------------------------------------------------------------------------


class TaskSerializer(serializers.ModelSerializer):
    """A rectification task. ``version`` is also sent as the ETag; send it back in If-Match."""

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    light_display = serializers.CharField(source="get_light_display", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    category_code = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    grid_code = serializers.CharField(source="grid.code", read_only=True)
    community = serializers.IntegerField(source="grid.community_id", read_only=True)
    community_name = serializers.CharField(source="grid.community.name", read_only=True)
    street = serializers.IntegerField(source="grid.community.parent_id", read_only=True,
                                      allow_null=True)
    street_name = serializers.SerializerMethodField()
    road_name = serializers.SerializerMethodField()
    assignee_name = serializers.SerializerMethodField()
    department_name = serializers.SerializerMethodField()
    is_open = serializers.BooleanField(read_only=True)
    is_repeat = serializers.BooleanField(read_only=True)
    needs_plan = serializers.BooleanField(read_only=True, help_text=_(
        "Whether starting needs a plan: the category's rule, a supervisor's request, or "
        "escalation level 2 or above."))
    plan_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id", "code", "title", "description", "category", "category_code", "category_name",
            "source", "source_display", "status", "status_display", "light", "light_display",
            "is_open", "lng", "lat", "address", "grid", "grid_code", "community",
            "community_name", "street", "street_name", "road", "road_name", "reporter",
            "assignee", "assignee_name", "department", "department_name", "campaign", "plan",
            "plan_required", "needs_plan", "plan_by", "plan_by_name", "plan_at",
            "fixed_on_spot", "dispatched_at", "deadline", "escalation_level", "supervised",
            "is_repeat", "repeat_of", "repeat_seq", "rework_count", "extension_count",
            "extension_requested_until", "held_seconds", "version", "reported_at", "started_at",
            "submitted_at", "closed_at", "closed_late", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_street_name(self, task: Task) -> str | None:
        street = task.grid.community.parent
        return street.name if street else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_road_name(self, task: Task) -> str | None:
        return task.road.name if task.road else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_assignee_name(self, task: Task) -> str | None:
        return task.assignee.name if task.assignee else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_department_name(self, task: Task) -> str | None:
        return task.department.name if task.department else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_plan_by_name(self, task: Task) -> str | None:
        from ..timeline import actor_name

        return actor_name(task.plan_by) if task.plan_by_id else None


TASK_RELATED = ("category", "grid__community__parent", "road", "assignee", "department",
                "plan_by__officer")


# What the list reads of each task, as plain rows (``QuerySet.values``): the task's own columns
# and the names of what it points to, in one query, without building seven model instances a
# task (nor parsing a grid's GeoJSON boundary and a road's centre line for each).
TASK_LIST_VALUES = (
    "id", "code", "title", "description", "category", "source", "status", "light", "lng", "lat",
    "address", "grid", "road", "reporter", "assignee", "department", "campaign", "plan",
    "plan_required", "plan_by", "plan_at", "fixed_on_spot", "dispatched_at", "deadline",
    "escalation_level", "supervised", "repeat_of", "repeat_seq", "rework_count",
    "extension_count", "extension_requested_until", "held_seconds", "version", "reported_at",
    "started_at", "submitted_at", "closed_at", "closed_late", "updated_at",
    "category__code", "category__name", "category__plan_required", "grid__code",
    "grid__community", "grid__community__name", "grid__community__parent",
    "grid__community__parent__name", "road__name", "assignee__name", "department__name",
    "plan_by__username", "plan_by__officer__name",
)

_LABELS: dict[tuple[str, str | None], dict[str, str]] = {}


def _labels(field: str) -> dict[str, str]:
    """A choice field's labels in the active language, as ``get_FOO_display`` gives them
    (which rebuilds and hashes the whole choice list, translating each label, every call)."""
    key = (field, translation.get_language())
    found = _LABELS.get(key)
    if found is None:
        choices = Task._meta.get_field(field).flatchoices  # type: ignore[union-attr]
        found = _LABELS[key] = {value: str(label) for value, label in choices}
    return found


class TaskListSerializer(TaskSerializer):
    """The task list's rows: the same fields and the same JSON as ``TaskSerializer`` gives for
    a task (tests/api/test_list_serializer.py compares them byte for byte), written out by hand
    from a ``TASK_LIST_VALUES`` row. DRF's generic path costs about a millisecond a task in field
    look-ups, and model instances of the task and its six relations most of another; this
    reads a dict. Times are written as DRF's DateTimeField writes them (ISO 8601 in the current
    time zone, UTC as Z), display names as ``get_FOO_display`` gives them."""

    def _page_settings(self) -> tuple[Any, dict[str, str], dict[str, str], dict[str, str]]:
        # Once per request (this serializer lives for one): the time zone and the labels.
        found = getattr(self, "_page_context", None)
        if found is None:
            found = self._page_context = (timezone.get_current_timezone(), _labels("source"),
                                          _labels("status"), _labels("light"))
        return found

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        r = instance
        zone, sources, statuses, lights = self._page_settings()

        def when(value: datetime | None) -> str | None:
            if value is None:
                return None
            text = (value.astimezone(zone) if value.tzinfo is not None else value).isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        source, status, light = r["source"], r["status"], r["light"]
        plan_by_name = None
        if r["plan_by"] is not None:
            plan_by_name = r["plan_by__officer__name"]
            if plan_by_name is None:  # a user who is no officer: their username
                plan_by_name = r["plan_by__username"]
        return {
            "id": r["id"],
            "code": r["code"],
            "title": r["title"],
            "description": r["description"],
            "category": r["category"],
            "category_code": r["category__code"],
            "category_name": r["category__name"],
            "source": source,
            "source_display": sources.get(source, source),
            "status": status,
            "status_display": statuses.get(status, status),
            "light": light,
            "light_display": lights.get(light, light),
            "is_open": status in OPEN_STATUSES,
            "lng": float(r["lng"]),
            "lat": float(r["lat"]),
            "address": r["address"],
            "grid": r["grid"],
            "grid_code": r["grid__code"],
            "community": r["grid__community"],
            "community_name": r["grid__community__name"],
            "street": r["grid__community__parent"],
            "street_name": r["grid__community__parent__name"],
            "road": r["road"],
            "road_name": r["road__name"],
            "reporter": r["reporter"],
            "assignee": r["assignee"],
            "assignee_name": r["assignee__name"],
            "department": r["department"],
            "department_name": r["department__name"],
            "campaign": r["campaign"],
            "plan": r["plan"],
            "plan_required": r["plan_required"],
            "needs_plan": bool(r["plan_required"] or r["category__plan_required"]
                               or r["escalation_level"] >= 2),
            "plan_by": r["plan_by"],
            "plan_by_name": plan_by_name,
            "plan_at": when(r["plan_at"]),
            "fixed_on_spot": r["fixed_on_spot"],
            "dispatched_at": when(r["dispatched_at"]),
            "deadline": when(r["deadline"]),
            "escalation_level": r["escalation_level"],
            "supervised": r["supervised"],
            "is_repeat": r["repeat_of"] is not None,
            "repeat_of": r["repeat_of"],
            "repeat_seq": r["repeat_seq"],
            "rework_count": r["rework_count"],
            "extension_count": r["extension_count"],
            "extension_requested_until": when(r["extension_requested_until"]),
            "held_seconds": r["held_seconds"],
            "version": r["version"],
            "reported_at": when(r["reported_at"]),
            "started_at": when(r["started_at"]),
            "submitted_at": when(r["submitted_at"]),
            "closed_at": when(r["closed_at"]),
            "closed_late": r["closed_late"],
            "updated_at": when(r["updated_at"]),
        }


@functools.cache
def _names_sql() -> str:
    from django.contrib.auth import get_user_model
    from django.db import connection

    q = connection.ops.quote_name
    category, grid, region = (q(Category._meta.db_table), q(Grid._meta.db_table),
                              q(Region._meta.db_table))
    road, officer, department = (q(Road._meta.db_table), q(Officer._meta.db_table),
                                 q(Department._meta.db_table))
    user = q(get_user_model()._meta.db_table)
    return (
        f"SELECT (SELECT code FROM {category} WHERE id = %s), "
        f"(SELECT name FROM {category} WHERE id = %s), "
        f"(SELECT plan_required FROM {category} WHERE id = %s), "
        "g.code, c.id, c.name, s.id, s.name, "
        f"(SELECT name FROM {road} WHERE id = %s), "
        f"(SELECT name FROM {officer} WHERE id = %s), "
        f"(SELECT name FROM {department} WHERE id = %s), "
        f"(SELECT username FROM {user} WHERE id = %s), "
        f"(SELECT name FROM {officer} WHERE user_id = %s) "
        f"FROM {grid} g LEFT JOIN {region} c ON c.id = g.community_id "
        f"LEFT JOIN {region} s ON s.id = c.parent_id WHERE g.id = %s")


_NAMES = ("category__code", "category__name", "category__plan_required", "grid__code",
          "grid__community", "grid__community__name", "grid__community__parent",
          "grid__community__parent__name", "road__name", "assignee__name", "department__name",
          "plan_by__username", "plan_by__officer__name")


def written_task_row(task: Task) -> dict[str, Any]:
    """A task as written (the report's answer, without reading it again) as a
    ``TASK_LIST_VALUES`` row for ``TaskListSerializer``: its own fields from memory, the names
    and codes of what it points to read by id in one statement. The same JSON as a GET of the
    task (tests/api/test_report_answer.py compares them field by field)."""
    from django.db import connection

    own = {f.name: getattr(task, f.attname) for f in Task._meta.concrete_fields}
    with connection.cursor() as cursor:
        cursor.execute(_names_sql(), [
            task.category_id, task.category_id, task.category_id, task.road_id,
            task.assignee_id, task.department_id, task.plan_by_id, task.plan_by_id,
            task.grid_id])
        names = cursor.fetchone()
    return {**{name: own[name] for name in TASK_LIST_VALUES if "__" not in name},
            **dict(zip(_NAMES, names, strict=True))}


class TaskEventSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = TaskEvent
        fields = ["id", "kind", "kind_display", "actor", "actor_name", "from_status",
                  "to_status", "note", "extra", "version", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor_name(self, event: TaskEvent) -> str | None:
        if event.actor is None:
            return None
        officer = getattr(event.actor, "officer", None)
        return officer.name if officer else event.actor.get_username()


class PhotoSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    url = serializers.SerializerMethodField(help_text=_("Download link; needs the same access "
                                                        "as the task."))

    class Meta:
        model = Photo
        fields = ["id", "kind", "kind_display", "width", "height", "size", "uploaded_by",
                  "created_at", "url"]
        read_only_fields = fields

    def get_url(self, photo: Photo) -> str:
        path = reverse("api:task-photo-file", kwargs={"pk": photo.task_id, "photo_pk": photo.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


# -- bodies ----------------------------------------------------------------------------------------


class _ActiveCategoryById:
    """``Category.objects.filter(is_active=True).get(pk=...)`` by one hand-written read
    (tasks_app.rows): every report asks, and compiling the queryset cost more than the read."""

    def get(self, pk: int) -> Category:
        from django.db import connection

        from .. import rows

        q = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {rows.columns(Category, 'c')} "
                           f"FROM {q(Category._meta.db_table)} c WHERE c.id = %s "
                           "AND c.is_active = %s", [pk, rows.param(Category, "is_active", True)])
            found = rows.instances(Category, cursor.fetchall())
        if not found:
            raise Category.DoesNotExist
        return found[0]


class ActiveCategoryField(IdField):
    """IdField of the active categories, its checks and answers unchanged, the category read by
    ``_ActiveCategoryById`` (tests/api/test_report_answer.py: the same 400s)."""

    _reading = False

    def to_internal_value(self, data):
        self._reading = True
        try:
            return super().to_internal_value(data)
        finally:
            self._reading = False

    def get_queryset(self):
        return _ActiveCategoryById() if self._reading else super().get_queryset()


class ReportSerializer(serializers.Serializer):
    """Report a problem. Send multipart/form-data to attach photos."""

    category = ActiveCategoryField(queryset=Category.objects.filter(is_active=True))
    lng = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True,
                                        default="")
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    # A declared field named like Field.source: DRF's metaclass moves it into _declared_fields.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=Source.choices, required=False, allow_null=True, default=None, help_text=_(
            "By default the caller's own: patrol for officers, inspector for inspectors. "
            "Supervisors may register hotline, city inspection, third-party, media and "
            "citizen finds. A source the caller may not claim is refused (403)."))
    campaign = IdField(queryset=Campaign.objects.all(), required=False, allow_null=True,
                       default=None)
    fixed_on_spot = serializers.BooleanField(default=False, help_text=_(
        "Fixed on the spot (自处理): needs before and after photos; arrives as submitted."))
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list,
                                   max_length=9, help_text=_("Before photos."))
    after_photos = serializers.ListField(child=serializers.FileField(), required=False,
                                         default=list, max_length=9)


class TaskUpdateSerializer(serializers.Serializer):
    """Edit a task's descriptive fields (supervisors). The workflow's fields change only
    through the actions; the plan through ``plan/``, a campaign through ``campaign/``, the
    category and source through ``correct/`` (the bureau's alone)."""

    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        extra = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if extra:
            raise serializers.ValidationError(
                _("These fields cannot be edited here: %(fields)s. The plan is written through "
                  "plan/, a campaign joined through campaign/, the category and source "
                  "corrected through correct/.") % {"fields": ", ".join(extra)})
        return attrs


class PlanSerializer(serializers.Serializer):
    plan = serializers.CharField(max_length=4000, help_text=_(
        "The rectification plan: what will be done, by whom, by when."))


class CorrectSerializer(serializers.Serializer):
    """A correction of the category or the source: the bureau level only, with a reason."""

    category = IdField(queryset=Category.objects.filter(is_active=True), required=False,
                       default=None)
    # A declared field named like Field.source: DRF's metaclass moves it into _declared_fields.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=Source.choices, required=False, default=None)
    reason = serializers.CharField(max_length=2000, help_text=_("Required."))


class JoinCampaignSerializer(serializers.Serializer):
    campaign = IdField(queryset=Campaign.objects.all())


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text=_("Required."))


class AssignSerializer(NoteSerializer):
    assignee = IdField(queryset=Officer.objects.all())
    department = IdField(queryset=Department.objects.all(), required=False, allow_null=True,
                         default=None)


class StartSerializer(NoteSerializer):
    plan = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="",
                                 help_text=_("The plan (一套方案); required where the task needs "
                                             "one and none was written yet."))
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list,
                                   max_length=9, help_text=_(
                                       "Before photos; required where the category asks."))


class SubmitSerializer(NoteSerializer):
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list,
                                   max_length=9, help_text=_(
                                       "After photos; optional if one was added since work "
                                       "(re)started."))


class VerifySerializer(NoteSerializer):
    approved = serializers.BooleanField(help_text=_(
        "true closes the task; false sends it back for rework and needs a note."))


class ExtendSerializer(serializers.Serializer):
    until = DateTimeField(help_text=_("The new deadline asked for."))
    reason = serializers.CharField(max_length=2000)

    def validate_until(self, value: datetime) -> datetime:
        # A bound on the input, not a rule: the supervisor decides what is reasonable.
        if not timezone.now() < value < timezone.now() + timedelta(days=366):
            raise serializers.ValidationError(_("Ask for a deadline within the next year."))
        return value


class ExtensionDecisionSerializer(NoteSerializer):
    approved = serializers.BooleanField(help_text=_("A refusal needs a note."))


class PhotoUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text=_("A JPEG, PNG or WebP image."))
    kind = serializers.ChoiceField(choices=Photo.Kind.choices, default=Photo.Kind.EVIDENCE)


# -- reference data ----------------------------------------------------------------------------


class GridSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    street = serializers.IntegerField(source="community.parent_id", read_only=True,
                                      allow_null=True)

    class Meta:
        model = Grid
        fields = ["id", "code", "name", "community", "community_name", "street", "boundary"]
        read_only_fields = fields


class GridBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Grid
        fields = ["id", "code", "name", "community"]
        read_only_fields = fields


class RoadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Road
        fields = ["id", "code", "name", "centre_line"]
        read_only_fields = fields


class RoadBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Road
        fields = ["id", "code", "name"]
        read_only_fields = fields


class LocationSerializer(serializers.Serializer):
    lng = serializers.FloatField()
    lat = serializers.FloatField()
    grid = GridBriefSerializer()
    road = RoadBriefSerializer(allow_null=True)
    road_distance_m = serializers.FloatField(allow_null=True)


class LocateQuerySerializer(serializers.Serializer):
    lng = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)


class RegionSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "level_display", "parent"]
        read_only_fields = fields


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "district"]
        read_only_fields = fields


class DutySerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Duty
        fields = ["id", "role", "role_display", "region", "grid", "road", "department",
                  "valid_from", "valid_to"]
        read_only_fields = fields


class OfficerSerializer(serializers.ModelSerializer):
    """An officer and their current duties. Contact details stay in the console."""

    department_name = serializers.SerializerMethodField()
    duties = serializers.SerializerMethodField()

    class Meta:
        model = Officer
        fields = ["id", "name", "department", "department_name", "duties"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_department_name(self, officer: Officer) -> str | None:
        return officer.department.name if officer.department else None

    @extend_schema_field(DutySerializer(many=True))
    def get_duties(self, officer: Officer) -> Any:
        # Prefetched as ``current_duties`` by the view: only the duties valid now.
        return DutySerializer(officer.current_duties, many=True).data  # type: ignore[attr-defined]


class CategorySerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    time_unit_display = serializers.CharField(source="get_time_unit_display", read_only=True)

    class Meta:
        model = Category
        fields = ["id", "code", "name", "kind", "kind_display", "time_limit", "time_unit",
                  "time_unit_display", "points", "high_deduction", "default_department",
                  "auto_dispatch", "repeat_radius_m", "repeat_window_days", "is_active"]
        read_only_fields = fields


class CampaignSerializer(serializers.ModelSerializer):
    class Meta:
        model = Campaign
        fields = ["id", "name", "description", "lead_department", "cooperating_departments",
                  "streets", "grids", "categories", "starts_on", "deadline", "created_at"]
        read_only_fields = fields

