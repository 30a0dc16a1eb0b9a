from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

# Media (task photos) is never served openly: photos go through views that check the task's scope.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("m/", include("tasks_app.mobile.urls")),
]
