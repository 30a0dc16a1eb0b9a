"""Links from a figure to the task list behind it."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.urls import reverse


def tasks_url(**params) -> str:
    url = reverse("admin:tasks_app_task_changelist")
    params = {k: v for k, v in params.items() if v is not None}
    return f"{url}?{urlencode(params)}" if params else url


def task_url(pk: int) -> str:
    return reverse("admin:tasks_app_task_change", args=[pk])


def reported_on(day: date, **params) -> str:
    # The list's date drill-down, so the page shows which day it is.
    return tasks_url(reported_at__year=day.year, reported_at__month=day.month,
                     reported_at__day=day.day, **params)
