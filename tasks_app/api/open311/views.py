"""Open311 GeoReport v2 under /open311/v2/: discovery, services, requests and tokens, as JSON or
XML by the path's suffix. Reading is public; posting needs an API key issued in the admin, and
files the task through ``services.open311_request_file`` (a ``task_report``) like any other
report."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from gridmgmt.geocode import place_named

from ... import services as task_services
from ...errors import DomainError
from ...inputs import raw_text
from ...models import Category, Open311Client, Open311Request
from ...photos import public_copy
from ..throttles import Open311Throttle
from . import records
from .formats import errors, respond

SPEC = "http://wiki.open311.org/GeoReport_v2"
WINDOW = timedelta(days=90)  # the spec's default and largest date range
LIMIT = 1000  # the spec's default number of requests; also the largest page
MAX_DESCRIPTION = 4000
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]{1,32})\](\[\])?$")
CONTACT_LIMITS = {"email": 254, "first_name": 100, "last_name": 100, "phone": 32,
                  "device_id": 100, "account_id": 100, "media_url": 500}
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


class _FormatFromPath(DefaultContentNegotiation):
    """The format is the path's suffix, whatever Accept says."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema(exclude=True)
class Open311View(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser, MultiPartParser]
    content_negotiation_class = _FormatFromPath
    throttle_classes = [Open311Throttle]

    def handle_exception(self, exc: Exception) -> HttpResponse:  # type: ignore[override]
        # Open311's error documents are plain Django responses; DRF returns what it is given.
        fmt = self.kwargs.get("fmt", "json")
        if isinstance(exc, Open311Error):
            return errors(fmt, exc.status, exc.description)
        if isinstance(exc, DomainError):
            # The spec knows 400, 403 and 404: a photo too large is a bad request like the rest.
            status = exc.http_status if exc.http_status in (403, 404) else 400
            return errors(fmt, status, exc.message)
        if isinstance(exc, Http404):
            return errors(fmt, 404, _("Not found."))
        if isinstance(exc, exceptions.APIException):
            response = errors(fmt, exc.status_code, str(exc.detail))
            wait = getattr(exc, "wait", None)  # Throttled's
            if wait:
                response["Retry-After"] = str(int(wait))
            return response
        return super().handle_exception(exc)

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)  # throttles first: parsing costs more
        _refuse_nul(kwargs.items(), request.query_params.lists())
        if request.method == "POST":
            _refuse_nul(request.data.lists() if hasattr(request.data, "lists")
                        else request.data.items())

    def check_jurisdiction(self, request) -> None:
        wanted = request.query_params.get("jurisdiction_id")
        if request.method == "POST":
            wanted = request.data.get("jurisdiction_id") or wanted
        ours = getattr(settings, "OPEN311_JURISDICTION_ID", "")
        if wanted and ours and wanted != ours:
            raise Open311Error(404, _("jurisdiction_id provided not found."))


class DiscoveryView(Open311View):
    def get(self, request, fmt: str):
        contact = getattr(settings, "OPEN311_CONTACT", "") or _(
            "Contact the city-management bureau's command centre.")
        changeset = records.changeset()
        return respond(fmt, "discovery", {
            "changeset": changeset,
            "contact": str(contact),
            "key_service": _("API keys for posting requests are issued by the bureau's "
                             "administrators."),
            "endpoints": [{
                "specification": SPEC,
                "url": request.build_absolute_uri("/open311/v2"),
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }],
        })


class ServiceListView(Open311View):
    def get(self, request, fmt: str):
        self.check_jurisdiction(request)
        return respond(fmt, "services", [records.service(c) for c in records.services()])


class ServiceDefinitionView(Open311View):
    def get(self, request, fmt: str, code: str):
        self.check_jurisdiction(request)
        category = Category.objects.filter(code=code, is_active=True).first()
        if category is None:
            raise Open311Error(404, _("service_code %(code)s not found.") % {"code": code})
        return respond(fmt, "service_definition", records.definition(category))


class RequestListView(Open311View):
    def get(self, request, fmt: str):
        self.check_jurisdiction(request)
        params = request.query_params
        qs = records.requests()
        ids = _csv(params.get("service_request_id"))
        if ids:  # the spec: a list of ids overrides every other filter
            qs = qs.filter(code__in=ids[:LIMIT])
        else:
            codes = _csv(params.get("service_code"))
            if codes:
                qs = qs.filter(category__code__in=codes)
            start, end = _window(params.get("start_date"), params.get("end_date"))
            qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
            statuses = set(_csv(params.get("status")))
            if statuses - {"open", "closed"}:
                raise Open311Error(400, _("status must be open or closed."))
            if statuses == {"open"}:
                qs = qs.filter(status__in=records.OPEN_STATUSES)
            elif statuses == {"closed"}:
                qs = qs.exclude(status__in=records.OPEN_STATUSES)
        page, size = _int(params.get("page"), 1, "page"), _int(params.get("page_size"), LIMIT,
                                                               "page_size")
        size = min(size, LIMIT)
        rows = qs.order_by("-reported_at", "-pk")[(page - 1) * size: page * size]
        base = _base_url(request)
        return respond(fmt, "service_requests", [records.request(t, base) for t in rows])

    def post(self, request, fmt: str):
        self.check_jurisdiction(request)
        client = _client(request.data.get("api_key"))
        category = _service(request.data)
        address = (request.data.get("address_string") or "").strip()[:255]
        lng, lat = _point(request.data, address)
        attributes, lines = _attributes(category, request.data)
        contact = _contact(request.data)
        description = (request.data.get("description") or "").strip()
        if len(description) > MAX_DESCRIPTION:
            raise Open311Error(400, _("description is longer than %(n)d characters.")
                               % {"n": MAX_DESCRIPTION})
        filed = task_services.open311_request_file(
            client=client, category=category, lng=lng, lat=lat,
            description="\n".join([description, *lines]).strip(), address=address,
            photos=request.FILES.getlist("media")[:1], contact=contact, attributes=attributes)
        task = filed.task
        # The id and no token: the spec gives a token only while the id is not yet known, and
        # here the task exists at once. (Tokens are still issued, and tokens/ still follows
        # them, for clients that were given one.)
        return respond(fmt, "service_requests", [{
            "service_request_id": task.code,
            "service_notice": records.service_notice(task),
            "account_id": filed.account_id or None,
        }], status=201)


class RequestView(Open311View):
    def get(self, request, fmt: str, request_id: str):
        self.check_jurisdiction(request)
        task = records.requests().filter(code=request_id).first()
        if task is None:
            raise Open311Error(404, _("service_request_id %(id)s not found.") % {"id": request_id})
        return respond(fmt, "service_requests", [records.request(task, _base_url(request))])


class MediaView(Open311View):
    """The photo a citizen sent with a published request, as the request's media_url: a copy
    without EXIF (no GPS position, no camera); the stored original keeps it as evidence."""

    def get(self, request, request_id: str, ext: str):
        task = records.requests().filter(code=request_id).first()
        photo = records.media_photo(task) if task else None
        if photo is None or not photo.image.name.endswith(f".{ext}"):
            raise Open311Error(404, _("No media for service_request_id %(id)s.")
                               % {"id": request_id})
        response = HttpResponse(public_copy(photo), content_type=MEDIA_TYPES[ext])
        response["Cache-Control"] = "public, max-age=3600"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


class TokenView(Open311View):
    def get(self, request, fmt: str, token: str):
        self.check_jurisdiction(request)
        filed = Open311Request.objects.select_related("task").filter(token=token).first()
        if filed is None:
            raise Open311Error(404, _("token %(token)s not found.") % {"token": token})
        return respond(fmt, "service_requests", [
            {"service_request_id": filed.task.code, "token": filed.token}])


@csrf_exempt
def not_found(request, path: str) -> HttpResponse:
    """Anything else under /open311/v2/: the spec's error document, in XML when the path asks
    for XML, else JSON (the format of an unknown suffix is unknown too)."""
    fmt = "xml" if path.endswith(".xml") else "json"
    stem, dot, suffix = path.rpartition(".")
    if dot and suffix not in ("json", "xml") and "/" not in suffix:
        return errors(fmt, 404, _("Format %(format)s is not offered: use .json or .xml.")
                      % {"format": suffix[:20]})
    return errors(fmt, 404, _("Not found."))


# -- parameters ----------------------------------------------------------------------------------

def _base_url(request) -> str:
    return request.build_absolute_uri("/open311/v2")


def _refuse_nul(*groups) -> None:
    """Every parameter, its name too, by the project's rule for raw text (tasks_app/inputs.py):
    no NUL, which PostgreSQL cannot store or compare (a 500 before) and no person types."""
    for pairs in groups:
        for name, value in pairs:
            try:
                for text in [name, *(value if isinstance(value, list) else [value])]:
                    raw_text(text)
            except ValidationError as exc:
                raise Open311Error(400, _("%(name)s contains a NUL character.")
                                   % {"name": str(name).replace("\x00", "")[:40]}) from exc


def _csv(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


def _int(raw: str | None, default: int, name: str) -> int:
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"[0-9]{1,7}", raw) or not 1 <= int(raw) <= 1_000_000:
        raise Open311Error(400, _("%(name)s must be a whole number from 1 to 1000000.")
                           % {"name": name})
    return int(raw)


def _when(raw: str | None, name: str):
    if not raw:
        return None
    try:
        value = parse_datetime(raw.strip().replace(" ", "+"))  # a "+" often arrives as a space
    except ValueError:
        value = None
    if value is None or not 1900 <= value.year <= 2999:
        raise Open311Error(400, _("%(name)s must be a W3C date-time, e.g. "
                                  "2010-01-01T00:00:00Z.") % {"name": name})
    # In UTC: an offset as odd as the parser allows must not reach the database.
    return value.astimezone(UTC) if timezone.is_aware(value) else timezone.make_aware(value)


def _window(raw_start: str | None, raw_end: str | None):
    start, end = _when(raw_start, "start_date"), _when(raw_end, "end_date")
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    if end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if end - start > WINDOW:
        raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
    return start, end


def _client(key: str | None) -> Open311Client:
    client = Open311Client.objects.filter(key_hash=Open311Client.digest(key), is_active=True) \
        .first() if key else None
    if client is None:
        raise Open311Error(403, _("Invalid api_key received -- can't proceed with "
                                  "create_request."))
    return client


def _service(data) -> Category:
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("service_code is required."))
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise Open311Error(404, _("service_code %(code)s not found.") % {"code": code})
    return category


def _point(data, address: str) -> tuple[str | float, str | float]:
    """lat and long, or else the place the address_string names (a road or a grid of ours)."""
    lat, lng = (data.get("lat") or "").strip(), (data.get("long") or "").strip()
    if lat or lng:
        if not (lat and lng):
            raise Open311Error(400, _("lat and long must be sent together."))
        return lng, lat
    if not address:
        raise Open311Error(400, _("A location is required: send lat and long, or an "
                                  "address_string."))
    place = place_named(address)
    if place is None:
        raise Open311Error(400, _("address_string names no road or grid we know (or places "
                                  "that do not meet): send lat and long."))
    return place.lng, place.lat


def _contact(data) -> dict[str, str]:
    contact = {name: (data.get(name) or "").strip()[:limit]
               for name, limit in CONTACT_LIMITS.items()}
    if contact["email"]:
        try:
            validate_email(contact["email"])
        except ValidationError as exc:
            raise Open311Error(400, _("email is not a valid e-mail address.")) from exc
    if contact["media_url"] and not re.match(r"^https?://", contact["media_url"]):
        raise Open311Error(400, _("media_url must be an http(s) URL."))
    return contact


def _attributes(category: Category, data) -> tuple[dict, list[str]]:
    """The answers to the category's questions, checked against its service definition, and
    the lines they add to the task's description for the officers."""
    given: dict[str, list[str]] = {}
    for key in data:
        m = _ATTRIBUTE.match(key)
        if m:
            given.setdefault(m.group(1), []).extend(
                v for v in data.getlist(key) if str(v).strip())
    answers, lines = {}, []
    for attr in category.service_attributes.order_by("order", "code"):
        values = given.get(attr.code, [])
        if not values:
            if attr.required:
                raise Open311Error(400, _("attribute[%(code)s] is required.")
                                   % {"code": attr.code})
            continue
        names = {str(v.get("key")): str(v.get("name", "")) for v in attr.values or []
                 if isinstance(v, dict)}
        if attr.datatype in (attr.Datatype.SINGLE, attr.Datatype.MULTI):
            if attr.datatype == attr.Datatype.SINGLE:
                values = values[:1]
            if any(v not in names for v in values):
                raise Open311Error(400, _("attribute[%(code)s] has a value that is not in its "
                                          "list.") % {"code": attr.code})
            shown = ", ".join(names[v] or v for v in values)
        else:
            values = values[:1]
            _check_value(attr, values[0])
            shown = values[0]
        answers[attr.code] = values if attr.datatype == attr.Datatype.MULTI else values[0]
        lines.append(f"{attr.description}: {shown}")
    return answers, lines


def _check_value(attr, value: str) -> None:
    ok = True
    if attr.datatype == attr.Datatype.NUMBER:
        try:
            float(value)
        except ValueError:
            ok = False
    elif attr.datatype == attr.Datatype.DATETIME:
        try:
            ok = parse_datetime(value) is not None
        except ValueError:
            ok = False
    elif len(value) > (2000 if attr.datatype == attr.Datatype.TEXT else 255):
        ok = False
    if not ok:
        raise Open311Error(400, _("attribute[%(code)s] is not a valid %(type)s.")
                           % {"code": attr.code, "type": attr.get_datatype_display()})

