"""/api/: v1 resources, the token endpoint, the OpenAPI schema and its docs."""

from __future__ import annotations

from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from . import reference, views
from .errors import error_responses, exception_handler
from .parsers import BoundedJSONParser
from .throttles import AnonThrottle, TokenIssueThrottle, UserThrottle

app_name = "api"


class AuthTokenResponse(serializers.Serializer):
    token = serializers.CharField()


class TokenView(ObtainAuthToken):
    """Trade a username and password for the caller's API token (send it as
    ``Authorization: Token <key>``)."""

    # DRF's ObtainAuthToken lists its own parsers; JSON goes through the bounded one.
    parser_classes = [FormParser, MultiPartParser, BoundedJSONParser]
    throttle_classes = [TokenIssueThrottle]

    def get_exception_handler(self):
        return exception_handler

    @extend_schema(tags=["auth"], summary=_("Get an API token"),
                   responses={200: AuthTokenResponse, **error_responses(400, 415)})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)



class SchemaView(SpectacularAPIView):
    """The OpenAPI document. Generating it is not free, so it is throttled like the API."""

    throttle_classes = [AnonThrottle, UserThrottle]


class NotFoundView(APIView):
    """Any other path under /api/v1/: a JSON 404 in the API's error shape, not an HTML page."""

    authentication_classes: list = []
    permission_classes: list = []

    def get_exception_handler(self):
        return exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound()


router = SimpleRouter()
router.register("tasks", views.TaskViewSet, basename="task")
router.register("grids", reference.GridViewSet, basename="grid")
router.register("roads", reference.RoadViewSet, basename="road")
router.register("regions", reference.RegionViewSet, basename="region")
router.register("officers", reference.OfficerViewSet, basename="officer")
router.register("departments", reference.DepartmentViewSet, basename="department")
router.register("categories", reference.CategoryViewSet, basename="category")
router.register("campaigns", reference.CampaignViewSet, basename="campaign")

urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="token"),
    path("v1/", include(router.urls)),
    path("v1/evaluation/", include("tasks_app.api.evaluation")),
    re_path(r"^v1/", extend_schema(exclude=True)(NotFoundView).as_view()),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
