"""The phone's patrol pages, mounted at /m/patrol/ (inside the officer pages' service-worker
scope, so a check-in or an end made offline is queued and sent later)."""

from __future__ import annotations

from django.urls import path

from . import phone_views

app_name = "patrols"

urlpatterns = [
    path("", phone_views.home, name="home"),
    path("start/", phone_views.start, name="start"),
    path("<int:pk>/", phone_views.patrol_page, name="patrol"),
    path("<int:pk>/check-in/", phone_views.check_in, name="check-in"),
    path("<int:pk>/end/", phone_views.end, name="end"),
]
