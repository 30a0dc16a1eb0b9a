"""What every /api/v1/ view shares: the error handler, pagination and throttles."""

from __future__ import annotations

from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.pagination import PageNumberPagination

from .errors import exception_handler
from .throttles import AnonThrottle, UserThrottle


class ApiPagination(PageNumberPagination):
    """50 rows a page by default; ``page_size`` up to 200, never more."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ApiViewMixin:
    # Token first, so an anonymous caller gets 401 with ``WWW-Authenticate: Token``; a session
    # (the console's pages) is accepted with its CSRF check.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    throttle_classes = [AnonThrottle, UserThrottle]
    pagination_class = ApiPagination
    # Any path segment reaches the view, so a malformed id is a JSON 404 like a missing one.
    lookup_value_regex = "[^/]+"

    def get_exception_handler(self):
        return exception_handler

    def check_permissions(self, request):
        # Throttle first: DRF checks permissions before throttles, so an anonymous caller
        # refused with 401 would never be counted.
        super().check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request):
        """Done in check_permissions."""
