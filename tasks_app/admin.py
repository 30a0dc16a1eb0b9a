"""Admin for what must be fixed. A task's page is the workbench (console/workbench.py): the task
changes only through its services, never through a model form. The event log, photos and
escalations are records and cannot be edited at all. Staff who are not superusers see only the
tasks of their duties (``selectors.tasks_visible_to``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Q
from django.http import HttpResponseNotAllowed
from django.template.defaultfilters import filesizeformat
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from gridmgmt.models import Region

from . import (
    admin_reference,  # noqa: F401  (registers the reference data's admins)
    authority,
    selectors,
)
from .console import actions as console_actions
from .console import badges, workbench
from .console import filters as console_filters
from .models import (
    Decision,
    Escalation,
    EvaluationPublication,
    EvaluationSnapshotRow,
    FollowUp,
    Notification,
    Photo,
    Submission,
    Task,
    TaskEvent,
    UnitReview,
)
from .workflow import Status

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    # The mixin's super() is the ModelAdmin it is mixed into.
    _AdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = object


def _status_label(value: str) -> StrOrPromise:
    return Status(value).label if value in Status.values else value


class ReadOnlyMixin:
    """A record, not a form: viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ScopedToTasksMixin(_AdminBase):
    """Rows belonging to tasks, limited to the tasks the user may see."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(task__in=selectors.tasks_visible_to(request.user).values("pk"))


# -- tasks --------------------------------------------------------------------------------------

class StreetFilter(admin.SimpleListFilter):
    title = _("street")
    parameter_name = "street"

    def lookups(self, request, model_admin):
        return Region.objects.filter(level=Region.Level.STREET).values_list("pk", "name")

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(grid__community__parent_id=self.value())
        return queryset


class RepeatFilter(admin.SimpleListFilter):
    title = _("repeated problem")
    parameter_name = "repeat"

    def lookups(self, request, model_admin):
        return [("yes", _("Repeats")), ("no", _("First occurrences"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(repeat_of__isnull=False)
        if self.value() == "no":
            return queryset.filter(repeat_of__isnull=True)
        return queryset


class TaskChangeList(ChangeList):
    """The task list: its date drill-down does not read the tasks in scope (the
    change_list template shows ``drilldown`` instead of Django's ``date_hierarchy`` tag)."""

    @cached_property
    def drilldown(self) -> dict | None:
        return console_filters.date_drilldown(self)


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "category", "status", badges.light_badge,
                    badges.level_badge, badges.time_left, badges.repeat_mark, badges.grid_name,
                    "assignee", "reported_at"]
    list_filter = [console_filters.QueueFilter, console_filters.ProgressFilter, "status",
                   "light",
                   console_filters.EscalationLevelFilter,
                   "supervised", RepeatFilter, StreetFilter, console_filters.CommunityFilter,
                   console_filters.GridFilter, "road", "department", "category", "source",
                   "campaign", "fixed_on_spot"]
    actions = console_actions.ACTIONS
    search_fields = ["code", "title", "address", "grid__code", "grid__name", "assignee__name"]
    search_help_text = _("Code, title, address, grid or assignee.")
    date_hierarchy = "reported_at"
    list_select_related = ["category", "grid", "assignee"]
    list_per_page = 50
    show_full_result_count = False
    # Counts up to 10,000 ("more than 10,000 tasks"): counting a district's million tasks on
    # every page read them all (the admin/tasks_app/task/pagination.html template says so).
    paginator = console_filters.CappedPaginator

    def get_queryset(self, request):
        return selectors.tasks_visible_to(request.user)

    def get_changelist(self, request, **kwargs):
        return TaskChangeList

    def get_ordering(self, request):
        # A queue lists its most urgent task first.
        return console_filters.queue_ordering(request) or super().get_ordering(request)

    def has_add_permission(self, request) -> bool:
        # A report is located, dispatched and checked for repeats by services.task_report.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Void a report instead: the record of a problem is never erased.
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return authority.of(request.user).uses_console

    def has_change_permission(self, request, obj=None) -> bool:
        # "Change" in the admin's sense: working tasks in the console (the workbench and the
        # bulk actions). Whether a given action on a given task is allowed is the services'
        # question to the authority module; the model permissions of a group do not decide it.
        return authority.of(request.user).uses_console

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The workbench, not a model form: a task changes only through its services, each
        # action posting to its own view (console/workbench.py). A POST here writes nothing.
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return workbench.page(request, object_id)


# -- records ------------------------------------------------------------------------------------

@admin.register(TaskEvent)
class TaskEventAdmin(ScopedToTasksMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "task", "kind", "actor", "from_label", "to_label", "version"]
    list_filter = ["kind"]
    search_fields = ["task__code", "note", "actor__username"]
    date_hierarchy = "created_at"
    list_select_related = ["task", "actor"]
    list_per_page = 100
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.display(description=_("from"))
    def from_label(self, obj: TaskEvent) -> StrOrPromise:
        return _status_label(obj.from_status)

    @admin.display(description=_("to"))
    def to_label(self, obj: TaskEvent) -> StrOrPromise:
        return _status_label(obj.to_status)


@admin.register(Photo)
class PhotoAdmin(ScopedToTasksMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["pk", "task", "kind", "file_size", "dimensions", "uploaded_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["task__code"]
    list_select_related = ["task", "uploaded_by"]
    readonly_fields = ["task", "kind", "file_size", "dimensions", "uploaded_by", "created_at"]
    fields = [*readonly_fields]
    show_full_result_count = False

    @admin.display(description=_("size"), ordering="size")
    def file_size(self, obj: Photo) -> str:
        return filesizeformat(obj.size)

    @admin.display(description=_("dimensions"))
    def dimensions(self, obj: Photo) -> str:
        return f"{obj.width} × {obj.height}"


@admin.register(Escalation)
class EscalationAdmin(ScopedToTasksMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["task", "level", "reason", "crossed_at"]
    list_filter = ["level", "reason"]
    search_fields = ["task__code", "task__title"]
    date_hierarchy = "crossed_at"
    list_select_related = ["task"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The alert outbox; the sender job owns each row's state."""

    list_display = ["created_at", "kind", "status", "recipient", "email", "task", "level",
                    "period", "attempts", "sent_at"]
    list_filter = ["status", "kind", "level"]
    search_fields = ["recipient__name", "email", "task__code", "period"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient", "task"]
    show_full_result_count = False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        visible = selectors.tasks_visible_to(request.user).values("pk")
        return qs.filter(Q(task__in=visible) | Q(recipient__user=request.user))

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Idempotency keys of client submissions, kept so a resent one is answered, not redone."""

    list_display = ["created_at", "user", "action", "task", "key"]
    list_filter = ["action"]
    search_fields = ["key", "user__username", "task__code"]
    list_select_related = ["user", "task"]
    show_full_result_count = False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(user=request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


# The console's titles (the dashboard itself is tasks_app.console, on the admin index).
admin.site.site_header = _("City management task console")
admin.site.site_url = "/"  # 「查看站点」: the home redirect, which sends each user to theirs
admin.site.site_title = _("Task console")
admin.site.index_title = _("Dashboard")


# -- the monthly evaluation's records -----------------------------------------------------------

class BureauRecordAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Published months, their frozen rows and the review meeting's records: written only by the
    evaluation services (the console's evaluation and review pages), read here by the bureau."""

    show_full_result_count = False

    def has_view_permission(self, request, obj=None) -> bool:
        return authority.of(request.user).is_bureau_admin

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(EvaluationPublication)
class EvaluationPublicationAdmin(BureauRecordAdmin):
    list_display = ["month", "version", "published_by", "published_at", "superseded_at"]
    list_filter = ["month"]
    list_select_related = ["published_by"]


@admin.register(EvaluationSnapshotRow)
class EvaluationSnapshotRowAdmin(BureauRecordAdmin):
    list_display = ["publication", "level", "position", "name", "rank", "score"]
    list_filter = ["level"]
    list_select_related = ["publication"]


@admin.register(UnitReview)
class UnitReviewAdmin(BureauRecordAdmin):
    list_display = ["month", "level", "unit_name", "written_by", "written_at"]
    list_filter = ["month", "level"]
    list_select_related = ["written_by"]


@admin.register(Decision)
class DecisionAdmin(BureauRecordAdmin):
    list_display = ["review", "kind", "amount", "points", "decided_by", "decided_at"]
    list_filter = ["kind"]
    list_select_related = ["review", "decided_by"]


@admin.register(FollowUp)
class FollowUpAdmin(BureauRecordAdmin):
    list_display = ["review", "responsible", "deadline", "done_at"]
    list_select_related = ["review", "responsible"]
