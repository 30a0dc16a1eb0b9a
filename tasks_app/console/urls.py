"""Console pages under /admin/, included before ``admin.site.urls`` (so /admin/ itself is the
dashboard). Each is wrapped by the admin's own login and staff check."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from . import desk, views, workbench

app_name = "console"

urlpatterns = [
    path("", admin.site.admin_view(views.index), name="index"),
    path("map/", admin.site.admin_view(views.map_page), name="map"),
    path("map/<slug:layer>.geojson", admin.site.admin_view(views.map_layer), name="map-layer"),
    path("evaluation/", admin.site.admin_view(views.evaluation_page), name="evaluation"),
    path("evaluation/export.xlsx", admin.site.admin_view(views.evaluation_xlsx),
         name="evaluation-xlsx"),
    # The registration desk (立案).
    path("desk/", admin.site.admin_view(desk.desk), name="desk"),
    path("desk/nearby/", admin.site.admin_view(desk.nearby), name="desk-nearby"),
    # The task workbench's actions (its page is the task's change URL: TaskAdmin.change_view).
    path("tasks_app/task/<int:pk>/act/<slug:name>/", admin.site.admin_view(workbench.act),
         name="task-act"),
]
