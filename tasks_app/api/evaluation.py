"""/api/v1/evaluation/: the monthly evaluation (综合考评) as JSON, and as the XLSX or CSV the
review meeting prints.

Who may read it: district supervisors and street leaders, and the console's staff. Rankings are
public within a district: a street leader sees every street of their district, not only their
own (the review meeting shows the whole table). Everyone else (grid officers, road chiefs,
handlers, inspectors, community heads) gets 403.

The figures are ``evaluation.evaluate()``'s rows (``Row.as_dict()``), ranked within the caller's
district; the downloads carry exactly the same numbers (one sheet per level).
"""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from gridmgmt import clock
from gridmgmt.types import AnyUser

from .. import authority, evaluation, exports
from ..evaluation import COUNTS, LEVELS, RATES, evaluate, month_bounds, previous_month
from ..evaluation_services import evaluation_publish, month_status, publication_dict
from .base import ApiViewMixin
from .errors import error_responses
from .fields import IntegerField

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
FORMATS = ("json", "xlsx", "csv")


def last_month() -> str:
    today = timezone.localtime(clock.now()).date()
    return previous_month(f"{today:%Y-%m}")


class CanReadEvaluation(permissions.BasePermission):
    message = _("Only district supervisors, street leaders and bureau administrators can read "
                "the evaluation.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and authority.of(user).can_see_evaluation())


# -- the query and the answer ---------------------------------------------------------------

class EvaluationQuerySerializer(serializers.Serializer):
    month = serializers.CharField(required=False, help_text=_(
        "YYYY-MM; by default last month."))
    level = serializers.ChoiceField(choices=LEVELS, default="street")
    district = IntegerField(required=False, min_value=1, max_value=2**31 - 1,
                            help_text=_("A district's region id; by default the caller's "
                                        "district."))
    format = serializers.ChoiceField(choices=FORMATS, required=False)
    period = serializers.CharField(required=False, help_text=_(
        "YYYY-Qn (a quarter) or YYYY (a year): the roll-up of its months instead of one "
        "month."))

    def validate_period(self, value: str) -> str:
        if not re.fullmatch(r"\d{4}(-Q[1-4])?", value):
            raise serializers.ValidationError(_("Give the period as YYYY-Qn or YYYY."))
        try:
            evaluation.check_period(value)
        except evaluation.FutureMonth as exc:  # nothing to evaluate yet: 400
            raise serializers.ValidationError(str(exc)) from exc
        except ValueError as exc:
            raise serializers.ValidationError(_("Give the period as YYYY-Qn or YYYY.")) from exc
        return value

    def validate(self, attrs: dict) -> dict:
        if "period" in attrs and "month" in attrs:
            raise serializers.ValidationError(_("Give a month or a period, not both."))
        if "period" in attrs and attrs.get("format", "json") != "json":
            raise serializers.ValidationError(_("A period's roll-up is read as JSON."))
        return attrs

    def validate_month(self, value: str) -> str:
        if not re.fullmatch(r"\d{4}-\d{2}", value):
            raise serializers.ValidationError(_("Give the month as YYYY-MM."))
        try:
            month_bounds(value)
            previous_month(value)
        except ValueError as exc:
            raise serializers.ValidationError(_("Give the month as YYYY-MM.")) from exc
        try:
            evaluation.check_month(value)
        except evaluation.FutureMonth as exc:  # nothing to evaluate yet: 400
            raise serializers.ValidationError(str(exc)) from exc
        return value


class EvaluationRowSerializer(serializers.Serializer):
    """One unit's month: counts, rates (fractions 0-1, null where the denominator is 0),
    deduction points, composite score, rank within the level, and the change from last month
    (null when the unit had no task last month)."""

    # Plain strings: an enum here would collide with the regions' "level" in the schema.
    level = serializers.CharField(help_text=_("street, community, grid or department"))
    unit_id = serializers.IntegerField()
    name = serializers.CharField()
    points = serializers.FloatField()
    score = serializers.FloatField(allow_null=True, help_text=_("null when there is no data"))
    rank = serializers.IntegerField(allow_null=True, help_text=_(
        "null when there is no data (无数据: nothing registered or due); such units come after "
        "the ranked ones"))
    has_data = serializers.BooleanField()
    previous_rank = serializers.IntegerField(allow_null=True)
    score_change = serializers.FloatField(allow_null=True)
    last_two_months = serializers.BooleanField(help_text=_(
        "Ranked last (末位) among the ranked units this month and the month before (frozen "
        "with a published month); false in a period's roll-up."))

    def get_fields(self):
        fields = super().get_fields()
        for name in COUNTS:
            fields[name] = serializers.IntegerField()
        for name in RATES:
            fields[name] = serializers.FloatField(allow_null=True)
        return fields


class PublicationSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    published_by = serializers.CharField()
    published_by_name = serializers.CharField()
    published_at = serializers.DateTimeField()
    reason = serializers.CharField(allow_blank=True)
    scheme = serializers.DictField(help_text=_("The scheme used: name and weights."))
    superseded_at = serializers.DateTimeField(allow_null=True)


class EvaluationSerializer(serializers.Serializer):
    month = serializers.CharField(allow_null=True, help_text=_("null for a period's roll-up"))
    period = serializers.CharField(required=False, help_text=_(
        "A roll-up's quarter (YYYY-Qn) or year (YYYY): each unit's counts and points summed "
        "over its months that have begun (published months as published), rates and score "
        "recomputed with the active scheme and ranked; previous_rank and score_change null."))
    months = serializers.ListField(child=serializers.CharField(), required=False, help_text=_(
        "A roll-up's months that have begun."))
    level = serializers.CharField(help_text=_("street, community, grid or department"))
    district = serializers.IntegerField(allow_null=True, help_text=_(
        "The district ranked (null: every unit of the level)."))
    published = serializers.BooleanField(help_text=_(
        "Whether the month (for a roll-up: every month of it) is published: its figures are "
        "then the frozen snapshot; otherwise they are computed live and may still change."))
    publication = PublicationSerializer(allow_null=True, help_text=_(
        "The current published version (null when not published)."))
    rows = EvaluationRowSerializer(many=True, help_text=_("Best first."))
    provisional = serializers.BooleanField(help_text=_(
        "True for the current month, or a period any month of which has not ended: its "
        "figures are final after that."))


# -- the view -------------------------------------------------------------------------------

class JsonErrors(DefaultContentNegotiation):
    """``?format=`` picks a download in the view, not a renderer: JSON is what errors and the
    figures are rendered as, whatever the query says."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


PARAMS = [
    OpenApiParameter("month", OpenApiTypes.STR, pattern=r"^\d{4}-\d{2}$",
                     description=_("YYYY-MM; by default last month.")),
    OpenApiParameter("level", OpenApiTypes.STR, enum=list(LEVELS), description=_(
        "street, community, grid or department.")),
    OpenApiParameter("district", OpenApiTypes.INT, description=_(
        "A district's region id; by default the caller's district (staff: every unit).")),
]
PERIOD_PARAM = OpenApiParameter(
    "period", OpenApiTypes.STR, pattern=r"^\d{4}(-Q[1-4])?$", description=_(
        "YYYY-Qn or YYYY: the quarter's or year's roll-up instead of a month (not with month; "
        "JSON only). A malformed or future period is refused with 400; a period with a month "
        "not yet ended is provisional."))


class EvaluationView(ApiViewMixin, APIView):
    """The month's evaluation for one level, ranked within the caller's district."""

    permission_classes = [CanReadEvaluation]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrors
    default_format = "json"
    all_levels = False

    def _query(self, request) -> dict:
        query = EvaluationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = dict(query.validated_data)
        data.setdefault("month", last_month())
        data.setdefault("format", self.default_format)
        data["district"] = self._district(request.user, data.get("district"))
        return data

    def _district(self, user: AnyUser, asked: int | None) -> int | None:
        mine = authority.of(user).evaluation_districts()  # None: every district
        if asked is not None:
            if mine is not None and asked not in mine:
                raise PermissionDenied(_("You can read the evaluation of your own district."))
            return asked
        return mine[0] if mine else None

    @extend_schema(
        tags=["evaluation"], summary=_("The monthly evaluation (综合考评) of one level"),
        parameters=[*PARAMS, PERIOD_PARAM, OpenApiParameter(
            "format", OpenApiTypes.STR, enum=list(FORMATS),
            description=_("json (default), or xlsx / csv to download the level."))],
        responses={(200, "application/json"): EvaluationSerializer,
                   (200, XLSX): OpenApiTypes.BINARY, (200, CSV): OpenApiTypes.STR,
                   **error_responses(400, 403)},
    )
    def get(self, request):
        q = self._query(request)
        if "period" in q:
            return self.roll_up(q)
        response = self.respond(request, q)
        if q["format"] == "json":  # the current month's figures still move
            response.data["provisional"] = (
                evaluation.evaluation_status(q["month"]) == "provisional")
        return response

    def roll_up(self, q: dict) -> Response:
        period = q["period"]
        rows = evaluation.evaluate_period(period, q["level"], district=q["district"])
        months = [m for m in evaluation.period_months(period)
                  if evaluation.evaluation_status(m) != "future"]
        published = all(month_status(m)["published"] for m in months)
        return Response({"month": None, "period": period, "months": months,
                         "level": q["level"], "district": q["district"],
                         "published": published, "publication": None,
                         "rows": [r.as_dict() for r in rows],
                         "provisional": evaluation.period_status(period) == "provisional"})

    def respond(self, request, q: dict):
        if q["format"] == "json":
            rows = evaluate(q["month"], q["level"], district=q["district"])
            return Response({"month": q["month"], "level": q["level"],
                             "district": q["district"], **month_status(q["month"]),
                             "rows": [r.as_dict() for r in rows]})
        levels = list(LEVELS) if self.all_levels and "level" not in request.query_params \
            else [q["level"]]
        return download(q["month"], levels, q["district"], q["format"])


def download(month: str, levels: list[str], district: int | None, fmt: str) -> HttpResponse:
    """The levels' rows as a file, headers in the active language (the request's)."""
    name = f"evaluation-{month}" + ("" if len(levels) > 1 else f"-{levels[0]}")
    if fmt == "csv":
        # A byte-order mark, so that Excel reads the Chinese names as UTF-8.
        body = ("\ufeff" + exports.to_csv(month, levels, district=district)).encode()
        response = HttpResponse(body, content_type=f"{CSV}; charset=utf-8")
    else:
        response = HttpResponse(exports.to_xlsx(month, levels, district=district),
                                content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


class EvaluationExportView(EvaluationView):
    """The same figures as a download: every level (one sheet each) unless ``level`` names
    one."""

    default_format = "xlsx"
    all_levels = True

    @extend_schema(
        tags=["evaluation"],
        summary=_("Download the monthly evaluation: XLSX (one sheet per level) or CSV"),
        parameters=[*PARAMS, OpenApiParameter(
            "format", OpenApiTypes.STR, enum=["xlsx", "csv"],
            description=_("xlsx (default) or csv."))],
        responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description=_(
            "Headers in the request's language (Chinese by default), fit to print.")),
            (200, CSV): OpenApiTypes.STR, **error_responses(400, 403)},
    )
    def get(self, request):
        q = self._query(request)
        if "period" in q:
            raise serializers.ValidationError({"period": [_("A period's roll-up is read as "
                                                            "JSON.")]})
        if q["format"] == "json":
            raise serializers.ValidationError({"format": [_("Choose xlsx or csv.")]})
        return self.respond(request, q)


class PublishSerializer(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text=_("YYYY-MM, a month that "
                                                                 "has ended."))
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text=_(
        "Required when the month is already published."))


class PublishView(ApiViewMixin, APIView):
    """Publish a month: bureau administrators only (403 for everyone else)."""

    renderer_classes = [JSONRenderer]

    @extend_schema(tags=["evaluation"], summary=_("Publish (freeze) a month's evaluation"),
                   request=PublishSerializer,
                   responses={201: PublicationSerializer, **error_responses(400, 403)})
    def post(self, request):
        if not authority.of(request.user).can_publish_evaluation():
            raise PermissionDenied(_("Only a bureau administrator can publish the evaluation."))
        data = PublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        publication = evaluation_publish(month=data.validated_data["month"],
                                         actor=request.user,
                                         reason=data.validated_data["reason"])
        return Response(publication_dict(publication), status=201)


# Included by api/urls.py under v1/evaluation/.
urlpatterns = [
    path("", EvaluationView.as_view(), name="evaluation"),
    path("export/", EvaluationExportView.as_view(), name="evaluation-export"),
    path("publish/", PublishView.as_view(), name="evaluation-publish"),
]
