"""Console pages under /admin/, included before ``admin.site.urls`` (so /admin/ itself is the
dashboard). Each is wrapped by the admin's own login and staff check."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from tasks_app.patrols import console as patrol_console

from . import desk, review, views, workbench

app_name = "console"

urlpatterns = [
    path("", admin.site.admin_view(views.index), name="index"),
    path("map/", admin.site.admin_view(views.map_page), name="map"),
    path("map/<slug:layer>.geojson", admin.site.admin_view(views.map_layer), name="map-layer"),
    path("evaluation/", admin.site.admin_view(views.evaluation_page), name="evaluation"),
    path("evaluation/export.xlsx", admin.site.admin_view(views.evaluation_xlsx),
         name="evaluation-xlsx"),
    path("evaluation/<str:month>/publish/", admin.site.admin_view(review.publish),
         name="evaluation-publish"),
    path("evaluation/<str:month>/pack/", admin.site.admin_view(review.pack),
         name="evaluation-pack"),
    path("evaluation/<str:month>/<slug:level>/<int:unit_id>/",
         admin.site.admin_view(review.review_page), name="evaluation-review"),
    path("evaluation/follow-up/<int:pk>/done/", admin.site.admin_view(review.follow_up_complete),
         name="follow-up-done"),
    # Patrol coverage of every road and grid (巡查覆盖).
    path("coverage/", admin.site.admin_view(patrol_console.coverage_page), name="coverage"),
    # The registration desk (立案).
    path("desk/", admin.site.admin_view(desk.desk), name="desk"),
    path("desk/nearby/", admin.site.admin_view(desk.nearby), name="desk-nearby"),
    # The task workbench's actions (its page is the task's change URL: TaskAdmin.change_view).
    path("tasks_app/task/<int:pk>/act/<slug:name>/", admin.site.admin_view(workbench.act),
         name="task-act"),
]
