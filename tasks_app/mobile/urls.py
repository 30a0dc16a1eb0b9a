from __future__ import annotations

from django.urls import path

from . import auth_views, pwa_views, report_views, task_views

app_name = "mobile"

urlpatterns = [
    path("", task_views.my_tasks, name="tasks"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", auth_views.set_language, name="language"),
    path("t/<int:pk>/", task_views.task_page, name="task"),
    path("t/<int:pk>/start/", task_views.start, name="start"),
    path("t/<int:pk>/submit/", task_views.submit, name="submit"),
    path("t/<int:pk>/extend/", task_views.extend, name="extend"),
    path("t/<int:pk>/verify/", task_views.verify, name="verify"),
    path("t/<int:pk>/assign/", task_views.assign, name="assign"),
    path("t/<int:pk>/urge/", task_views.urge, name="urge"),
    path("photos/<int:pk>/", task_views.photo, name="photo"),
    path("report/", report_views.report, name="report"),
    path("locate/", report_views.locate, name="locate"),
    path("sw.js", pwa_views.service_worker, name="sw"),
    path("offline/", pwa_views.offline, name="offline"),
]
