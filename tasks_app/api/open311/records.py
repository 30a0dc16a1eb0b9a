"""Our tasks and categories as GeoReport v2 records: a category is a service (its code the
service_code), a task is a service request (its code the service_request_id)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from ...models import Category, ServiceAttribute, Task, TaskEvent
from ...workflow import OPEN_STATUSES, Status


def w3c(value: datetime | None) -> str | None:
    """W3C date-time with the offset, in the bureau's time zone."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


# -- services -------------------------------------------------------------------------------------

def services() -> QuerySet[Category]:
    asks = ServiceAttribute.objects.filter(category=OuterRef("pk"))
    return Category.objects.filter(is_active=True).annotate(asks=Exists(asks)).order_by("code")


def service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": _("%(kind)s; to be handled within %(limit)s %(unit)s.") % {
            "kind": category.get_kind_display(), "limit": f"{category.time_limit:g}",
            "unit": category.get_time_unit_display()},
        "metadata": bool(getattr(category, "asks", False)),
        "type": "realtime",
        "keywords": "",
        "group": category.get_kind_display(),
    }


def attribute(attr: ServiceAttribute) -> dict[str, Any]:
    return {
        "variable": True,
        "code": attr.code,
        "datatype": attr.datatype,
        "required": attr.required,
        "datatype_description": attr.datatype_description or None,
        "order": attr.order,
        "description": attr.description,
        "values": [{"key": str(v.get("key", "")), "name": str(v.get("name", ""))}
                   for v in (attr.values or []) if isinstance(v, dict)],
    }


def definition(category: Category) -> dict[str, Any]:
    return {"service_code": category.code,
            "attributes": [attribute(a) for a in category.service_attributes.order_by(
                "order", "code")]}


# -- service requests ---------------------------------------------------------------------------

def requests() -> QuerySet[Task]:
    """Every task is a request; void reports show as closed with the reason they were refused."""
    reason = TaskEvent.objects.filter(task=OuterRef("pk"), kind=TaskEvent.Kind.VOIDED).order_by(
        "-created_at").values("note")[:1]
    return Task.objects.select_related("category", "department").annotate(
        void_reason=Subquery(reason)).exclude(code=None)


def open_or_closed(task: Task) -> str:
    return "open" if task.status in OPEN_STATUSES else "closed"


def status_notes(task: Task) -> str:
    label = Status(task.status).label
    if task.status == Status.VOID and getattr(task, "void_reason", ""):
        return _("%(status)s: %(reason)s") % {"status": label, "reason": task.void_reason}
    if task.status == Status.CLOSED and task.closed_at:
        return _("%(status)s on %(when)s.") % {
            "status": label, "when": formats.date_format(timezone.localtime(task.closed_at),
                                                         "SHORT_DATETIME_FORMAT")}
    return str(label)


def service_notice(task: Task) -> str | None:
    if task.status in OPEN_STATUSES and task.deadline:
        return _("To be handled by %(when)s.") % {"when": formats.date_format(
            timezone.localtime(task.deadline), "SHORT_DATETIME_FORMAT")}
    return None


def request(task: Task) -> dict[str, Any]:
    """Empty values are null in JSON and empty elements in XML, as in the spec's examples."""
    return {
        "service_request_id": task.code,
        "status": open_or_closed(task),
        "status_notes": status_notes(task),
        "service_name": task.category.name,
        "service_code": task.category.code,
        "description": task.description or None,
        "agency_responsible": task.department.name if task.department_id else None,
        "service_notice": service_notice(task),
        "requested_datetime": w3c(task.reported_at),
        "updated_datetime": w3c(task.updated_at),
        "expected_datetime": w3c(task.deadline),
        "address": task.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": task.lat,
        "long": task.lng,
        # Photos are served only to officers who may see the task: no public media URL.
        "media_url": None,
    }
