"""/open311/v2/: every resource answers as .json or .xml (a photo as itself)."""

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
    # A request's media_url when the citizen sent a photo (a copy without EXIF).
    re_path(r"^media/(?P<request_id>[^/]+?)\.(?P<ext>jpg|png|webp)$", views.MediaView.as_view(),
            name="media"),
    # Last: any other path or format gets the spec's error document, not Django's HTML 404.
    re_path(r"^(?P<path>.*)$", views.not_found, name="not-found"),
]
