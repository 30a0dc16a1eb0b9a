"""The product's URLs plus ``/bench/bare-tasks/``: the baseline of the api_list benchmark, a
plain Django view returning the same 50 rows as the API's first page from ``.values()``: the
caller's scope (``tasks_visible_to``) in the API's default order, with the same related names,
but no DRF (no authentication classes, throttles, filters, pagination count or serializer);
and ``/bench/bare-same-statement/``, the same rows by the API's own page statement."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as product_urls
from tasks_app.selectors import tasks_visible_to

FIELDS = [
    "id", "code", "title", "description", "category", "category__code", "category__name",
    "source", "status", "light", "lng", "lat", "address", "grid", "grid__code",
    "grid__community", "grid__community__name", "grid__community__parent",
    "grid__community__parent__name", "road", "road__name", "reporter", "assignee",
    "assignee__name", "department", "department__name", "campaign", "plan", "fixed_on_spot",
    "dispatched_at", "deadline", "escalation_level", "supervised", "repeat_of", "repeat_seq",
    "rework_count", "extension_count", "extension_requested_until", "held_seconds", "version",
    "reported_at", "started_at", "submitted_at", "closed_at", "closed_late", "updated_at",
]


def bare_tasks(request):
    # The user lookup stands in for the API's token lookup: one query either way.
    user = get_user_model().objects.get(pk=int(request.GET["user"]))
    rows = tasks_visible_to(user).order_by("-reported_at", "-pk").values(*FIELDS)[:50]
    return JsonResponse({"results": list(rows)})


def bare_same_statement(request):
    """The API's own page statement (its related names as subqueries, ``page_rows``) in a bare
    view: API over this is what DRF, the token, the throttle, the count and the serializer
    cost, whatever the statement's shape."""
    from tasks_app.api.views import LIST_OWN_VALUES, _list_related_values

    user = get_user_model().objects.get(pk=int(request.GET["user"]))
    rows = tasks_visible_to(user).order_by("-reported_at", "-pk").values(
        *LIST_OWN_VALUES, **_list_related_values())[:50]
    return JsonResponse({"results": list(rows)})


urlpatterns = [path("bench/bare-tasks/", bare_tasks),
               path("bench/bare-same-statement/", bare_same_statement), *product_urls]
