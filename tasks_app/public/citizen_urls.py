"""Citizen reporting on the web (views in citizen.py), under /public/."""

from __future__ import annotations

from django.urls import path

from . import citizen

urlpatterns = [
    path("report/", citizen.report, name="report"),
    path("report/nearby/", citizen.report_nearby, name="report-nearby"),
    path("follow/<str:key>/", citizen.follow, name="follow"),
    path("problem/<str:code>/", citizen.problem, name="problem"),
]
