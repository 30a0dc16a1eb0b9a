"""/api/v1/tasks/: the list, the report, and every workflow step, each one service call.

A task outside the caller's scope (``selectors.tasks_visible_to``) does not exist for them (404);
an action their role may not take is 403, an illegal transition 409, a stale If-Match 412.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from .. import services
from ..authority import Channel
from ..models import Photo, Task
from ..selectors import tasks_visible_to
from ..timeline import timeline
from . import serializers as s
from .base import ApiViewMixin, CursorOrPagePagination
from .concurrency import REPLAYED_HEADER, etag, expected_version, run_once
from .errors import error_responses
from .filters import TaskFilter, TaskFilterBackend, TaskOrdering
from .parsers import BoundedJSONParser
from .timeline import INCLUDE, TimelineEntrySerializer, timeline_data
from .tokens import TokenWithOfficerAuthentication

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description=_('The task\'s ETag as last read, e.g. "3". Required: without it the answer is '
                  '428; a stale one answers 412.'))
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description=_("Any unique string up to 64 characters; a retry with the same key gets the "
                  "first result instead of doing the work twice."))
ETAG = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 201],
    description=_('The task\'s version in quotes, e.g. "4": send it back as If-Match.'))
ETAG_HEADER = OpenApiResponse(s.TaskSerializer, description=_(
    "The task after the change; the ETag header carries its version."))


class ImageRenderer(BaseRenderer):
    """Lets a client ask for a photo with Accept: image/*; the view sends the file itself."""

    media_type = "image/*"
    format = "image"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data) if isinstance(data, dict | list) else data


def _action_schema(body: type | dict[str, type] | None, summary: StrOrPromise, *errors: int,
                   **kwargs: Any):
    return extend_schema(
        summary=summary, request=body, parameters=[IF_MATCH, IDEMPOTENCY_KEY, ETAG],
        responses={200: ETAG_HEADER,
                   **error_responses(400, 403, 404, 409, 412, 422, 428, *errors)},
        **kwargs,
    )


# The list's values of the task itself, and those read through a relation (a__b...).
LIST_OWN_VALUES = tuple(name for name in s.TASK_LIST_VALUES if "__" not in name)
_RELATED_SQL: dict[str, dict[str, RawSQL]] = {}


def _value_query(model: Any, lookup: str, key: Any, path: str) -> QuerySet[Any]:
    """The value at ``path`` of the ``model`` row whose ``lookup`` is ``key``, each step a
    lookup by key (a nested subquery per relation), so every step is one index probe."""
    name, _, rest = path.partition("__")
    rows = model._base_manager.filter(**{lookup: key}).order_by()
    if not rest:
        return rows.values(name)
    field = model._meta.get_field(name)
    if field.concrete:  # a foreign key of this row
        return _value_query(field.related_model, "pk", Subquery(rows.values(field.attname)),
                            rest)
    # A reverse one-to-one (a user's officer): the row that points here.
    return _value_query(field.related_model, field.field.attname, Subquery(rows.values("pk")),
                        rest)


def _related_value(path: str) -> RawSQL:
    """``path`` (``grid__community__name``) as a scalar subquery on the task's key: NULL where
    the relation is empty, as the LEFT JOIN gave. The ORM writes it, with the key as its one
    parameter, which becomes the task's column."""
    name, rest = path.split("__", 1)
    field = Task._meta.get_field(name)
    inner = _value_query(field.related_model, "pk", 0, rest)
    sql, params = inner.query.sql_with_params()
    if params != (0,) or sql.count("%s") != 1:
        raise ImproperlyConfigured(f"unexpected SQL for the list's {path}: {sql}")
    quote = connection.ops.quote_name
    column = f"{quote(Task._meta.db_table)}.{quote(field.column)}"  # type: ignore[union-attr,arg-type]
    return RawSQL(sql.replace("%s", column), (), output_field=Subquery(inner).output_field)


def _list_related_values() -> dict[str, RawSQL]:
    """The list's related values as subqueries, written once per process: building and
    compiling thirteen ORM subqueries per request cost more Python (about 5 ms) than the joins
    they replace."""
    found = _RELATED_SQL.get(connection.vendor)
    if found is None:
        found = _RELATED_SQL[connection.vendor] = {
            path: _related_value(path) for path in s.TASK_LIST_VALUES if "__" in path}
    return found


@extend_schema(tags=["tasks"])
class TaskViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  viewsets.GenericViewSet):
    serializer_class = s.TaskSerializer
    filter_backends = [TaskFilterBackend, TaskOrdering]
    filterset_class = TaskFilter
    pagination_class = CursorOrPagePagination
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]
    queryset = Task.objects.none()  # for the schema; requests use get_queryset()

    def get_queryset(self):
        tasks = tasks_visible_to(self.request.user)
        # The list counts the bare queryset and reads its page through page_rows.
        return tasks if self.action == "list" else tasks.select_related(*s.TASK_RELATED)

    def page_rows(self, tasks):
        """The list's page as plain rows for TaskListSerializer (and the ordering's
        annotations, which a cursor names): the task's own columns, and each value of a related
        row (``category__name``, ``grid__community__parent__name``, ...) as a scalar subquery
        under the same key. The same rows as ``values(*TASK_LIST_VALUES)`` (tested), but one
        table to plan: with the eight tables joined, PostgreSQL spent longer choosing the join
        order (20-100 ms at 1M, memoize paths for every order) than reading the 50 rows."""
        return tasks.values(*LIST_OWN_VALUES, *tasks.query.annotations, **_list_related_values())

    def get_authenticators(self):
        # A report (POST on the list): the token's read brings the reporter's officer and
        # duties, which the service's authority then has (one statement instead of two).
        # The schema describes DRF's own token scheme (the same header): drf-spectacular's
        # generated views say so (swagger_fake_view), and may have no request at all.
        request = getattr(self, "request", None)
        method = (getattr(request, "method", None) or "").lower()
        if (not getattr(self, "swagger_fake_view", False)
                and (getattr(self, "action_map", None) or {}).get(method) == "create"):
            return [TokenWithOfficerAuthentication(), SessionAuthentication()]
        return super().get_authenticators()

    def get_serializer_class(self):
        # The list's rows: the same JSON as TaskSerializer's, written without DRF's generic
        # field machinery (its main cost at 50 rows a page).
        return s.TaskListSerializer if self.action == "list" else s.TaskSerializer

    # -- responses ---------------------------------------------------------------------------------

    def _task_response(self, task: Task, *, code: int = status.HTTP_200_OK,
                       replayed: bool = False) -> Response:
        fresh = Task.objects.select_related(*s.TASK_RELATED).get(pk=task.pk)
        response = Response(self.get_serializer(fresh).data, status=code)
        response["ETag"] = etag(fresh)
        if replayed:
            response[REPLAYED_HEADER] = "true"
        return response

    def _act(self, request: Request, name: str, body_class: type | None,
             do: Callable[..., Task]) -> Response:
        task = self.get_object()
        data: dict[str, Any] = {}
        if body_class is not None:
            body = body_class(data=request.data)
            body.is_valid(raise_exception=True)
            data = body.validated_data

        def work() -> tuple[Task, str]:
            return do(task=task, actor=request.user,
                      expected_version=expected_version(request, task), **data), ""

        outcome = run_once(request, action=name, work=work, task=task)
        return self._task_response(outcome.task, replayed=outcome.replayed)

    # -- list, read, report --------------------------------------------------------------------

    @extend_schema(summary=_("Tasks in the caller's scope"), responses={
        200: s.TaskSerializer(many=True), **error_responses(400, 404)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary=_("One task"), parameters=[ETAG],
                   responses={200: ETAG_HEADER, **error_responses(404)})
    def retrieve(self, request, *args, **kwargs):
        task = self.get_object()
        response = Response(self.get_serializer(task).data)
        response["ETag"] = etag(task)
        return response

    @extend_schema(
        summary=_("Report a problem"), request={"application/json": s.ReportSerializer,
                                               "multipart/form-data": s.ReportSerializer},
        parameters=[IDEMPOTENCY_KEY, ETAG],
        responses={201: OpenApiResponse(s.TaskSerializer, description=_(
            "The registered task (dispatched at once where the category or grid says who).")),
            **error_responses(400, 403, 413, 422)},
    )
    def create(self, request, *args, **kwargs):
        body = s.ReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data

        def work() -> tuple[Task, str]:
            return services.task_report(
                reporter=request.user, category=data["category"], lng=data["lng"],
                lat=data["lat"], title=data["title"], description=data["description"],
                address=data["address"], source=data["source"], channel=Channel.API,
                photos=data["photos"],
                fixed_on_spot=data["fixed_on_spot"], after_photos=data["after_photos"],
                campaign=data["campaign"]), ""

        outcome = run_once(request, action="report", work=work)
        task = outcome.task
        # The answer from the task as written, not read again: the same JSON as a GET.
        response = Response(s.TaskListSerializer(s.written_task_row(task)).data,
                            status=status.HTTP_201_CREATED)
        response["ETag"] = etag(task)
        if outcome.replayed:
            response[REPLAYED_HEADER] = "true"
        response["Location"] = request.build_absolute_uri(f"{task.pk}/")
        return response

    @extend_schema(
        summary=_("Edit a task's title, description or address (supervisors)"),
        request=s.TaskUpdateSerializer, parameters=[IF_MATCH, IDEMPOTENCY_KEY, ETAG],
        responses={200: ETAG_HEADER, **error_responses(400, 403, 404, 412, 422, 428)})
    def partial_update(self, request, *args, **kwargs):
        def update(*, task, actor, expected_version, **changes):
            return services.task_update_details(task=task, actor=actor, changes=changes,
                                                expected_version=expected_version)

        return self._act(request, "update", s.TaskUpdateSerializer, update)

    @_action_schema(s.PlanSerializer, _("Write or rewrite the plan (the assignee or a "
                                        "supervisor)"))
    @action(detail=True, methods=["post"])
    def plan(self, request, pk=None):
        return self._act(request, "plan", s.PlanSerializer, services.task_set_plan)

    @_action_schema(s.CorrectSerializer, _("Correct the category or source (the bureau level, "
                                           "never a unit scored on the task)"))
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        return self._act(request, "correct", s.CorrectSerializer, services.task_correct)

    # -- workflow actions ----------------------------------------------------------------------

    @_action_schema(s.AssignSerializer, _("Dispatch or reassign (supervisors)"))
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._act(request, "assign", s.AssignSerializer, services.task_assign)

    @_action_schema({"multipart/form-data": s.StartSerializer,
                     "application/json": s.StartSerializer},
                    _("Start work, with the plan and before photos where required (the "
                      "assignee)"), 413)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._act(request, "start", s.StartSerializer, services.task_start)

    @_action_schema({"multipart/form-data": s.SubmitSerializer,
                     "application/json": s.SubmitSerializer},
                    _("Submit the fix with after photos (the assignee)"), 413)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._act(request, "submit", s.SubmitSerializer, services.task_submit)

    @_action_schema(s.VerifySerializer, _("Verify: close, or send back for rework"))
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        return self._act(request, "verify", s.VerifySerializer, services.task_verify)

    @_action_schema(s.ExtendSerializer, _("Ask for more time (the assignee)"))
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        return self._act(request, "extend", s.ExtendSerializer, services.task_request_extension)

    @_action_schema(s.ExtensionDecisionSerializer,
                    _("Approve or refuse the waiting extension request (supervisors)"))
    @action(detail=True, methods=["post"], url_path="extend/decide", url_name="extend-decide")
    def extend_decide(self, request, pk=None):
        return self._act(request, "extend_decide", s.ExtensionDecisionSerializer,
                         services.task_decide_extension)

    @_action_schema(s.ReasonSerializer, _("Put on hold; the clock stops (supervisors)"))
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        return self._act(request, "hold", s.ReasonSerializer, services.task_hold)

    @_action_schema(s.NoteSerializer, _("Resume a task on hold (supervisors)"))
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._act(request, "resume", s.NoteSerializer, services.task_resume)

    @_action_schema(s.ReasonSerializer, _("Refuse to register a report (supervisors)"))
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        return self._act(request, "void", s.ReasonSerializer, services.task_void)

    @_action_schema(s.NoteSerializer, _("Urge the assignee: a reminder e-mail now "
                                        "(supervisors; once an hour)"))
    @action(detail=True, methods=["post"])
    def urge(self, request, pk=None):
        return self._act(request, "urge", s.NoteSerializer, services.task_urge)

    @_action_schema(s.JoinCampaignSerializer,
                    _("Add the task to a campaign that covers it (supervisors)"))
    @action(detail=True, methods=["post"])
    def campaign(self, request, pk=None):
        return self._act(request, "campaign", s.JoinCampaignSerializer,
                         services.task_join_campaign)

    # -- history and photos --------------------------------------------------------------------

    @extend_schema(summary=_("The task's event log, oldest first"), parameters=[INCLUDE],
                   responses={200: TimelineEntrySerializer(many=True), **error_responses(404)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def events(self, request, pk=None):
        task = self.get_object()
        include = request.query_params.get("include", "")
        return Response(timeline_data(timeline(task),
                                      include_escalations=include == "escalations"))

    @extend_schema(methods=["GET"], summary=_("The task's photos"), responses={
        200: s.PhotoSerializer(many=True), **error_responses(404)})
    @extend_schema(
        methods=["POST"], summary=_("Add a photo"),
        parameters=[IF_MATCH, IDEMPOTENCY_KEY, ETAG],
        request={"multipart/form-data": s.PhotoUploadSerializer},
        responses={201: s.PhotoSerializer,
                   **error_responses(400, 403, 404, 409, 412, 413, 415, 422, 428)})
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[],
            parser_classes=[MultiPartParser, FormParser])
    def photos(self, request, pk=None):
        task = self.get_object()
        if request.method == "GET":
            photos = task.photos.order_by("created_at", "pk")
            return Response(s.PhotoSerializer(photos, many=True,
                                              context=self.get_serializer_context()).data)
        body = s.PhotoUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)

        def work() -> tuple[Task, str]:
            photo = services.task_add_photo(
                task=task, actor=request.user, image=body.validated_data["image"],
                kind=body.validated_data["kind"], expected_version=expected_version(request, task))
            return task, str(photo.pk)

        outcome = run_once(request, action="photo", work=work, task=task)
        photo = Photo.objects.get(pk=int(outcome.ref))
        response = Response(s.PhotoSerializer(photo, context=self.get_serializer_context()).data,
                            status=status.HTTP_201_CREATED)
        response["ETag"] = etag(Task.objects.only("version").get(pk=task.pk))
        if outcome.replayed:
            response[REPLAYED_HEADER] = "true"
        return response

    @extend_schema(
        summary=_("Download a photo"),
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY,
                   (200, "image/png"): OpenApiTypes.BINARY,
                   (200, "image/webp"): OpenApiTypes.BINARY, **error_responses(404)})
    @action(detail=True, methods=["get"], url_path=r"photos/(?P<photo_pk>[^/]+)",
            url_name="photo-file", pagination_class=None, filter_backends=[],
            renderer_classes=[JSONRenderer, ImageRenderer])
    def photo_file(self, request, pk=None, photo_pk=None):
        task = self.get_object()
        if not re.fullmatch(r"[0-9]{1,18}", str(photo_pk)):
            raise NotFound()
        photo = get_object_or_404(Photo, pk=int(photo_pk), task=task)
        content_type = mimetypes.guess_type(photo.image.name)[0] or "application/octet-stream"
        response = FileResponse(photo.image.open("rb"), content_type=content_type)
        response["Cache-Control"] = "private, max-age=3600"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
