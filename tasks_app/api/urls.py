"""/api/: v1 resources, the token endpoint, the OpenAPI schema and its docs."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter

from . import reference, views
from .errors import exception_handler
from .throttles import AnonThrottle, TokenIssueThrottle, UserThrottle

app_name = "api"


class TokenView(ObtainAuthToken):
    """Trade a username and password for the caller's API token (send it as
    ``Authorization: Token <key>``)."""

    throttle_classes = [TokenIssueThrottle]

    def get_exception_handler(self):
        return exception_handler


class SchemaView(SpectacularAPIView):
    """The OpenAPI document. Generating it is not free, so it is throttled like the API."""

    throttle_classes = [AnonThrottle, UserThrottle]


router = DefaultRouter()
router.include_root_view = False
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
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
