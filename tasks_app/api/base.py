"""What every /api/v1/ view shares: the error handler, pagination and throttles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from .errors import exception_handler
from .throttles import AnonThrottle, UserThrottle

if TYPE_CHECKING:
    # The mixin's super() is the DRF view it is mixed into.
    from rest_framework.generics import GenericAPIView

    _ViewBase = GenericAPIView[Any]
else:
    _ViewBase = object


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_CAP rows. An exact COUNT(*) over a district's million tasks costs
    far more than the page itself; past the cap nobody pages on, they filter."""

    COUNT_CAP = 10_000
    object_list: QuerySet[Any]  # the API pages querysets only

    @cached_property
    def count(self) -> int:
        counted = self.object_list[: self.COUNT_CAP + 1].count()
        self.count_exact = counted <= self.COUNT_CAP
        return min(counted, self.COUNT_CAP)


class ApiPagination(PageNumberPagination):
    """50 rows a page by default; ``page_size`` up to 200, never more. ``count`` is exact up to
    10,000 rows; beyond, it says 10,000 and ``count_exact`` is false."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class = CappedCountPaginator

    def get_paginated_response(self, data) -> Response:
        response = super().get_paginated_response(data)
        assert self.page is not None  # paginate_queryset ran first
        paginator = self.page.paginator
        response.data["count_exact"] = getattr(paginator, "count_exact", True)
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_exact"] = {
            "type": "boolean",
            "description": "false when there are more than 10,000 rows and count says 10,000",
        }
        return schema


class ApiViewMixin(_ViewBase):
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
