"""/api/: v1 resources, the token endpoint, the OpenAPI schema and its docs."""

from __future__ import annotations

from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from ..lockout import LOCKED_OUT_CODE, LOCKED_OUT_MESSAGE, LOCKED_OUT_STATUS, is_locked_out
from . import reference, views
from .errors import error_responses, exception_handler
from .parsers import BoundedJSONParser
from .throttles import AnonThrottle, TokenIssueThrottle, UserThrottle

app_name = "api"


class AuthTokenResponse(serializers.Serializer):
    token = serializers.CharField()


class LockedOut(APIException):
    status_code = LOCKED_OUT_STATUS
    default_code = LOCKED_OUT_CODE
    default_detail = LOCKED_OUT_MESSAGE


class TokenRequest(AuthTokenSerializer):
    # As long as a username can be: a longer one is no account, and the lock-out's record of
    # the attempt has no room for it.
    username = serializers.CharField(label=_("Username"), write_only=True, max_length=150)


class TokenView(ObtainAuthToken):
    """Trade a username and password for the caller's API token (send it as
    ``Authorization: Token <key>``)."""

    # DRF's ObtainAuthToken lists its own parsers; JSON goes through the bounded one.
    parser_classes = [FormParser, MultiPartParser, BoundedJSONParser]
    throttle_classes = [TokenIssueThrottle]
    serializer_class = TokenRequest

    def get_exception_handler(self):
        return exception_handler

    @extend_schema(tags=["auth"], summary=_("Get an API token"),
                   responses={200: AuthTokenResponse, **error_responses(400, 415)})
    def post(self, request, *args, **kwargs):
        # DRF's serializer calls authenticate(request=...), so the login lock-out counts and
        # refuses token requests like the console's and the phone's logins.
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            if is_locked_out(request):
                raise LockedOut() from None
            raise



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
    # The split view serves Swagger UI's set-up script as a file (docs/?script), not inline:
    # the Content-Security-Policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
