"""/open311/v2/: every resource answers as .json or .xml."""

from __future__ import annotations

from django.urls import re_path

from . import views

app_name = "open311"
FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.DiscoveryView.as_view(), name="discovery"),
    re_path(r"^services" + FMT, views.ServiceListView.as_view(), name="services"),
    re_path(r"^services/(?P<code>[^/]+?)" + FMT, views.ServiceDefinitionView.as_view(),
            name="service"),
    re_path(r"^requests" + FMT, views.RequestListView.as_view(), name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]+?)" + FMT, views.RequestView.as_view(),
            name="request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FMT, views.TokenView.as_view(), name="token"),
]
