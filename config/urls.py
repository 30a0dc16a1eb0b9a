from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from tasks_app.api import admin as _api_admin  # noqa: F401  (registers the Open311 admin)
from tasks_app.home import home

# Media (task photos) is never served openly: photos go through views that check the task's scope.
urlpatterns = [
    path("", home, name="home"),  # each user to their home: the console or the phone
    # The supervisor console (dashboard on the admin index, map, exports) before the admin itself.
    path("admin/", include("tasks_app.console.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("tasks_app.api.urls")),
    path("open311/v2/", include("tasks_app.api.open311.urls")),
    path("m/patrol/", include("tasks_app.patrols.urls")),  # before m/: the patrol pages
    path("m/", include("tasks_app.mobile.urls")),
    path("public/", include("tasks_app.public.urls")),  # no login: the board and citizen reports
]
