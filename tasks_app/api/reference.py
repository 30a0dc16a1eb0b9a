"""Reference data every signed-in officer may read: the map (grids, roads, regions), who is who
(officers, departments), categories and campaigns. Read-only: the console edits them."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from gridmgmt import clock
from gridmgmt.models import Department, Duty, Grid, Officer, Region, Road
from gridmgmt.services import locate

from ..models import Campaign, Category
from . import filters as f
from . import serializers as s
from .base import ApiViewMixin
from .errors import error_responses


def _read_only(tag: str, serializer: type, **list_kwargs):
    return extend_schema_view(
        list=extend_schema(tags=[tag], responses={200: serializer(many=True),
                                                  **error_responses(400, 404)}, **list_kwargs),
        retrieve=extend_schema(tags=[tag], responses={200: serializer,
                                                      **error_responses(404)}),
    )


class ReadOnly(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    filter_backends = [DjangoFilterBackend]


@_read_only("map", s.GridSerializer)
class GridViewSet(ReadOnly):
    queryset = Grid.objects.select_related("community").order_by("code")
    serializer_class = s.GridSerializer
    filterset_class = f.GridFilter

    @extend_schema(
        tags=["map"], summary=_("The grid and the nearest road for a point"),
        parameters=[
            OpenApiParameter("lng", OpenApiTypes.DOUBLE, required=True,
                             description=_("Longitude, WGS-84")),
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True,
                             description=_("Latitude, WGS-84")),
        ],
        responses={200: s.LocationSerializer, **error_responses(400, 422)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def locate(self, request):
        # locate() checks the numbers itself: invalid_coordinates (400) or outside_area (422).
        found = locate(request.query_params.get("lng"), request.query_params.get("lat"))
        return Response(s.LocationSerializer(found).data)


@_read_only("map", s.RoadSerializer)
class RoadViewSet(ReadOnly):
    queryset = Road.objects.order_by("code")
    serializer_class = s.RoadSerializer
    filterset_class = f.RoadFilter


@_read_only("map", s.RegionSerializer)
class RegionViewSet(ReadOnly):
    queryset = Region.objects.order_by("code")
    serializer_class = s.RegionSerializer
    filterset_class = f.RegionFilter


@_read_only("people", s.DepartmentSerializer)
class DepartmentViewSet(ReadOnly):
    queryset = Department.objects.order_by("code")
    serializer_class = s.DepartmentSerializer
    filterset_class = f.DepartmentFilter


@_read_only("people", s.OfficerSerializer)
class OfficerViewSet(ReadOnly):
    serializer_class = s.OfficerSerializer
    filterset_class = f.OfficerFilter
    queryset = Officer.objects.none()

    def get_queryset(self):
        now = clock.now()
        current = Duty.objects.valid_at(now).order_by("role", "pk")
        return Officer.objects.select_related("department").prefetch_related(
            Prefetch("duties", queryset=current, to_attr="current_duties")).order_by("name", "pk")


@_read_only("reference", s.CategorySerializer)
class CategoryViewSet(ReadOnly):
    queryset = Category.objects.order_by("code")
    serializer_class = s.CategorySerializer
    filterset_class = f.CategoryFilter


@_read_only("reference", s.CampaignSerializer)
class CampaignViewSet(ReadOnly):
    queryset = Campaign.objects.select_related("lead_department").prefetch_related(
        "cooperating_departments", "streets", "grids", "categories").order_by("-starts_on", "pk")
    serializer_class = s.CampaignSerializer
    filterset_class = f.CampaignFilter
