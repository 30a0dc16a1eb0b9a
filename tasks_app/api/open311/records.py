"""Our tasks and categories as GeoReport v2 records: a category is a service (its code the
service_code), a task is a service request (its code the service_request_id)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, QuerySet, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from ...models import Category, Open311Request, Photo, ServiceAttribute, Task, TaskEvent
from ...workflow import OPEN_STATUSES, Status


def w3c(value: datetime | None) -> str | None:
    """W3C date-time with the offset, in the bureau's time zone."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def changeset() -> str:
    """When the service definitions last changed (a category or one of its questions): the
    discovery document's changeset, so a client knows to read the services again."""
    latest = Category.objects.aggregate(at=Max("updated_at"))["at"]
    return latest.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if latest else ""


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
    """The tasks the bureau publishes: those of the sources in ``OPEN311_PUBLIC_SOURCES``
    (citizens', the hotline's and the media's by default). Patrol and inspection finds stay
    inside; so do every note written on a task (void reasons, plans, supervisors' notes) and
    every officer's name and contact, which no field below reads."""
    voided = TaskEvent.objects.filter(task=OuterRef("pk"), kind=TaskEvent.Kind.VOIDED).order_by(
        "-created_at").values("created_at")[:1]
    filed = Open311Request.objects.filter(task=OuterRef("pk"))
    # The photo the citizen sent with the request (no officer uploaded it): the one photo of a
    # task that may be shown to the public, without its EXIF (views.MediaView).
    # An officer's photo names its uploader; one whose account was since deleted names nobody,
    # but was added after the request was filed.
    sent = Photo.objects.filter(
        task=OuterRef("pk"), kind=Photo.Kind.BEFORE, uploaded_by=None,
        created_at__lte=OuterRef("open311_request__created_at")).order_by("created_at", "pk")
    return Task.objects.select_related("category", "department").filter(
        source__in=list(settings.OPEN311_PUBLIC_SOURCES)).exclude(code=None).annotate(
        voided_at=Subquery(voided), media_url=Subquery(filed.values("media_url")[:1]),
        sent_photo=Subquery(sent.values("image")[:1]),
        sent_photo_id=Subquery(sent.values("pk")[:1]))


def media_photo(task: Task) -> Photo | None:
    """The photo the citizen sent with a published request, if any."""
    sent = getattr(task, "sent_photo_id", None)
    return Photo.objects.filter(pk=sent, task=task).first() if sent else None


def open_or_closed(task: Task) -> str:
    return "open" if task.status in OPEN_STATUSES else "closed"


def status_notes(task: Task) -> str:
    # Never the reason a report was voided: that is a supervisor's internal note.
    label = Status(task.status).label
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


def updated(task: Task) -> datetime:
    """When the request last changed as the public sees it: a closed one when it was closed
    (or voided), not when someone last touched the row."""
    if task.status == Status.CLOSED and task.closed_at:
        return task.closed_at
    voided_at: datetime | None = getattr(task, "voided_at", None)  # annotated by the query
    if task.status == Status.VOID and voided_at:
        return voided_at
    return task.updated_at


def media_url(task: Task, base_url: str) -> str | None:
    """The media URL the client posted, else our copy of the photo the citizen sent."""
    # Both annotated by the query.
    posted: str | None = getattr(task, "media_url", None)
    sent_photo: str | None = getattr(task, "sent_photo", None)
    if posted:
        return posted
    if sent_photo:
        ext = PurePosixPath(sent_photo).suffix.lstrip(".") or "jpg"
        return f"{base_url.rstrip('/')}/media/{task.code}.{ext}"
    return None


def request(task: Task, base_url: str) -> dict[str, Any]:
    """Empty values are null in JSON and empty elements in XML, as in the spec's examples.
    ``base_url`` is this API's absolute root, for the URL of a photo we serve."""
    return {
        "service_request_id": task.code,
        "status": open_or_closed(task),
        "status_notes": status_notes(task),
        "service_name": task.category.name,
        "service_code": task.category.code,
        "description": task.description or None,
        "agency_responsible": task.department.name if task.department else None,
        "service_notice": service_notice(task),
        "requested_datetime": w3c(task.reported_at),
        "updated_datetime": w3c(updated(task)),
        "expected_datetime": w3c(task.deadline),
        "address": task.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": task.lat,
        "long": task.lng,
        "media_url": media_url(task, base_url),
    }
