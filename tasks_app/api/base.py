"""What every /api/v1/ view shares: the error handler, pagination and throttles."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import EmptyPage, InvalidPage, Page, PageNotAnInteger, Paginator
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .errors import exception_handler
from .throttles import AnonThrottle, UserThrottle

if TYPE_CHECKING:
    # The mixin's super() is the DRF view it is mixed into.
    from rest_framework.generics import GenericAPIView

    _ViewBase = GenericAPIView[Any]
else:
    _ViewBase = object


class CappedCountPaginator(Paginator):
    """Counts at most ``cap`` rows (COUNT_CAP unless the pagination says otherwise): an exact
    COUNT(*) over a district's million tasks costs far more than the page itself; past the cap
    ``count`` says the cap and ``count_exact`` is false.

    Whether there is a next page never comes from ``count``: every page number works, past the
    cap too, and a page beyond the last row is an EmptyPage (404). A page within the cap reads
    the capped count first: it tells whether a next page follows, and when it is exact the
    scope is small, so the page is read sorted rather than by an index walk (``_sorted``). A
    page reaching past the cap reads one row beyond itself instead, and counts nothing more
    (the count is then the cap, or what lies before the page plus its rows)."""

    COUNT_CAP = 10_000
    # A page whose first row lies past this offset is empty (no bigint overflow in OFFSET).
    MAX_OFFSET = 2**62
    object_list: QuerySet[Any]  # the API pages querysets only

    def __init__(self, *args: Any, rows: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None,
                 cap: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What a page reads of the rows counted (the view's ``page_rows``): the count stays on
        # the bare queryset, without the columns the page needs.
        self.rows = rows
        self.cap = self.COUNT_CAP if cap is None else cap
        self.count_exact = True
        self._counted: int | None = None  # rows counted, at most cap + 1
        # From a page read past the cap: how many rows are known to exist, and if that is all.
        self._known: int | None = None
        self._ended = False

    def _count_rows(self) -> int:
        if self._counted is None:
            # Without the ordering: the count of the first cap + 1 rows is the same in any
            # order, and PostgreSQL then stops after them instead of sorting the whole scope.
            self._counted = self.object_list.order_by()[: self.cap + 1].count()
        return self._counted

    @cached_property
    def count(self) -> int:
        known = self._known
        if known is not None and (self._ended or known > self.cap):
            total = known
        else:
            total = self._count_rows()
        self.count_exact = total <= self.cap
        return min(total, self.cap)

    def validate_number(self, number: Any) -> int:
        """A whole number from 1 up; whether its page has rows is known once it is read."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def _read(self, objects: QuerySet[Any], bottom: int, top: int) -> list[Any]:
        rows = objects if self.rows is None else self.rows(objects)
        return list(rows[bottom:top])

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if bottom > self.MAX_OFFSET:
            raise EmptyPage(self.error_messages["no_results"])
        top = bottom + self.per_page
        if top < self.cap:  # the page and the row after it lie within the counted rows
            total = self._count_rows()
            if bottom >= total and number > 1:
                raise EmptyPage(self.error_messages["no_results"])
            objects = _sorted(self.object_list) if total <= self.cap else self.object_list
            return _LookaheadPage(self._read(objects, bottom, top), number, self,
                                  more=total > top)
        found = self._read(self.object_list, bottom, top + 1)
        if not found and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        more = len(found) > self.per_page
        self._known, self._ended = bottom + len(found), not more
        return _LookaheadPage(found[: self.per_page], number, self, more=more)


def _sorted(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The same order with its first key written COALESCE(key, key) (the same value, NULL
    included), which no index provides. For a scope known to hold at most the cap's rows,
    PostgreSQL then reads them by the scope's own indexes and sorts them: a grid officer's
    first page took 50-130 ms at 1M walking the whole table's ``reported_at`` index backwards
    until 50 of their 958 tasks turned up (58,000 rows read), and takes a few ms this way."""
    order = list(queryset.query.order_by)
    if not order or not isinstance(order[0], str):
        return queryset
    name = order[0].lstrip("-")
    try:
        field = queryset.model._meta.get_field("id" if name == "pk" else name)
    except FieldDoesNotExist:  # an annotation (urgency): no index gives that order anyway
        return queryset
    if field.is_relation:
        return queryset
    key = Coalesce(F(name), F(name))
    order[0] = key.desc() if order[0].startswith("-") else key.asc()
    return queryset.order_by(*order)


class _LookaheadPage(Page):
    """A page that knows whether another follows (it read one row more), so its links need
    no count."""

    def __init__(self, object_list: Any, number: int, paginator: Paginator, *,
                 more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


class ApiPagination(PageNumberPagination):
    """50 rows a page by default; ``page_size`` up to 200, never more. ``count`` is exact up to
    ``count_cap`` rows; beyond, it says ``count_cap`` and ``count_exact`` is false. Every page
    number with rows answers, past the cap too; ``next`` is null on the last page; a page past
    the last row is 404; ``page=last`` works while the count is exact."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class = CappedCountPaginator
    count_cap = CappedCountPaginator.COUNT_CAP

    def paginate_queryset(self, queryset, request, view=None):
        # DRF's, without its count: the page reads one row more to know whether one follows.
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        # A view may read its page as other rows than it counts (``page_rows``: plain values).
        paginator = CappedCountPaginator(queryset, page_size, cap=self.count_cap,
                                         rows=getattr(view, "page_rows", None))
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            msg = self.invalid_page_message.format(page_number=page_number, message=str(exc))
            raise NotFound(msg) from exc
        self.display_page_controls = self.page.has_other_pages()
        return list(self.page)

    def get_page_number(self, request, paginator):
        number = request.query_params.get(self.page_query_param) or 1
        if number in self.last_page_strings:
            # The last page is known while the count is exact; past the cap "last" is no page.
            exact = paginator.count <= paginator.cap and paginator.count_exact
            return paginator.num_pages if exact else number
        return number

    def get_paginated_response(self, data) -> Response:
        response = super().get_paginated_response(data)
        assert self.page is not None  # paginate_queryset ran first
        response.data["count_exact"] = self.page.paginator.count_exact  # type: ignore[attr-defined]
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        schema = super().get_paginated_response_schema(schema)
        cap = {"cap": f"{self.count_cap:,}"}
        schema["properties"]["count"]["description"] = str(_(
            "The number of rows, exact up to %(cap)s; beyond, %(cap)s and count_exact is "
            "false.") % cap)
        schema["properties"]["count_exact"] = {
            "type": "boolean",
            "description": str(_("false when there are more than %(cap)s rows and count says "
                                 "%(cap)s") % cap),
        }
        schema["properties"]["next"]["description"] = str(_(
            "The next page, null on the last page. Pages past the count's cap work too (next "
            "comes from the rows, not the count); a page past the last row answers 404."))
        return schema


# -- cursor (keyset) pagination ------------------------------------------------------------------

BAD_CURSOR = _("This cursor is not valid for this list (or its ordering changed); start again "
               "from the first page.")


def encode_cursor(ordering: str, values: list[Any], *, backwards: bool = False) -> str:
    """A cursor: the ordering it belongs to and the position (the ordering keys' values of a
    row), base64url-encoded JSON. It names a place in the order, never a row to show: the page
    after it is still read from the caller's scope."""
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps({"o": ordering, "v": plain, "p": backwards}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


class _Key:
    """One key of the list's ordering. NULL sorts as the greatest value (PostgreSQL's default:
    last going up, first going down), stated explicitly so SQLite agrees."""

    def __init__(self, spec: str, queryset: QuerySet[Any]) -> None:
        self.desc = spec.startswith("-")
        self.name = spec.lstrip("-")
        model = queryset.model
        if self.name in queryset.query.annotations:
            self.field = None
            self.nullable = False
        else:
            name = model._meta.pk.name if self.name == "pk" else self.name
            self.field = model._meta.get_field(name)
            if self.field.is_relation or "__" in self.name:
                raise FieldDoesNotExist(self.name)
            self.nullable = bool(self.field.null)

    def order(self, backwards: bool) -> Any:
        desc = self.desc != backwards
        if not self.nullable:
            return f"-{self.name}" if desc else self.name
        return F(self.name).desc(nulls_first=True) if desc else F(self.name).asc(nulls_last=True)

    def parse(self, value: Any) -> Any:
        if value is None:
            if not self.nullable:
                raise ValueError("null")
            return None
        if self.field is None or self.field.get_internal_type() in {
                "AutoField", "BigAutoField", "IntegerField", "SmallIntegerField",
                "PositiveIntegerField", "PositiveSmallIntegerField", "BigIntegerField"}:
            if isinstance(value, bool) or not isinstance(value, int) or not -2**63 < value < 2**63:
                raise ValueError("not an integer")
            return value
        if not isinstance(value, str) or len(value) > 200:
            raise ValueError("not text")
        parsed = self.field.to_python(value)
        if isinstance(parsed, datetime) and parsed.tzinfo is None:
            raise ValueError("a time without its offset")
        return parsed

    def equal(self, value: Any) -> Q:
        return Q(**{f"{self.name}__isnull": True}) if value is None else Q(**{self.name: value})

    def after(self, value: Any, backwards: bool) -> Q:
        """Rows strictly after ``value`` in this key's order (reversed when going back)."""
        desc = self.desc != backwards
        if value is None:  # NULL is the greatest: only going down is anything after it
            return Q(**{f"{self.name}__isnull": False}) if desc else Q(pk__in=[])
        q = Q(**{f"{self.name}__{'lt' if desc else 'gt'}": value})
        if self.nullable and not desc:
            q |= Q(**{f"{self.name}__isnull": True})
        return q

    def bound(self, value: Any, backwards: bool) -> Q | None:
        """The same condition's first key as one index range (<= or >=), where it is one."""
        desc = self.desc != backwards
        if value is None or (self.nullable and not desc):
            return None
        return Q(**{f"{self.name}__{'lte' if desc else 'gte'}": value})


class CursorOrPagePagination(ApiPagination):
    """Page numbers as before, or keyset pagination when the request names ``cursor`` (or asks
    for ``pagination=cursor`` to start): each page is read from the position the cursor names
    onwards, in the list's ordering with the id as tie-breaker, so page N costs what page 1
    costs and rows inserted meanwhile neither repeat nor shift rows between pages. A cursor
    page has ``next`` and ``previous`` links and ``results``, no count."""

    cursor_query_param = "cursor"
    mode_query_param = "pagination"
    # Counting the first 10,001 tasks of a street read about 6,000 heap pages (as long as the
    # page itself several times over); 1,001 read a tenth of that. Clients handle count_exact
    # false, and walk long lists by cursor.
    count_cap = 1_000

    def _cursor_mode(self, request) -> bool:
        params = request.query_params
        return self.cursor_query_param in params or params.get(self.mode_query_param) == "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.cursor_mode = self._cursor_mode(request)
        if not self.cursor_mode:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.page_size = self.get_page_size(request) or self.page_size
        specs = [str(o) for o in queryset.query.order_by]
        if not all(isinstance(o, str) for o in queryset.query.order_by):
            raise ValidationError({self.cursor_query_param: [BAD_CURSOR]})
        if not any(spec.lstrip("-") in ("pk", "id") for spec in specs):
            specs.append("-pk")
        try:
            keys = [_Key(spec, queryset) for spec in specs]
        except FieldDoesNotExist as exc:
            raise ValidationError({self.cursor_query_param: [BAD_CURSOR]}) from exc
        self.ordering = ",".join(specs)
        self.keys = keys
        position, backwards = self._decode(request.query_params.get(self.cursor_query_param))
        rows = queryset.order_by(*(k.order(backwards) for k in keys))
        page_rows = getattr(view, "page_rows", None)
        if page_rows is not None:
            rows = page_rows(rows)
        if position is not None:
            rows = rows.filter(self._after(position, backwards))
        page = list(rows[: self.page_size + 1])
        more = len(page) > self.page_size
        page = page[: self.page_size]
        if backwards:
            page.reverse()
        first = self._position(page[0]) if page else position
        last = self._position(page[-1]) if page else position
        if backwards:
            self.next_position = last
            self.previous_position = first if more else None
        else:
            self.next_position = last if more else None
            self.previous_position = first if position is not None else None
        return page

    def _decode(self, raw: str | None) -> tuple[list[Any] | None, bool]:
        if not raw:  # no cursor (or an empty one): the first page
            return None, False
        try:
            data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            if (not isinstance(data, dict) or data.get("o") != self.ordering
                    or not isinstance(data.get("v"), list) or len(data["v"]) != len(self.keys)
                    or not isinstance(data.get("p"), bool)):
                raise ValueError("not a cursor of this list")
            values = [key.parse(v) for key, v in zip(self.keys, data["v"], strict=True)]
        except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError,
                RecursionError, DjangoValidationError) as exc:
            raise ValidationError({self.cursor_query_param: [BAD_CURSOR]}) from exc
        return values, data["p"]

    def _after(self, values: list[Any], backwards: bool) -> Q:
        """Rows after ``values`` in the ordering: (k1 > v1) or (k1 = v1 and k2 > v2) or ...,
        and k1 >= v1 besides, so PostgreSQL reads one range of the first key's index."""
        q = Q(pk__in=[])
        for i, key in enumerate(self.keys):
            step = key.after(values[i], backwards)
            for previous, value in zip(self.keys[:i], values[:i], strict=True):
                step &= previous.equal(value)
            q |= step
        bound = self.keys[0].bound(values[0], backwards)
        return q & bound if bound is not None else q

    def _position(self, row: Any) -> list[Any]:
        if isinstance(row, dict):  # a values() row: the id is "id", never "pk"
            return [row["id" if key.name == "pk" else key.name] for key in self.keys]
        return [getattr(row, key.name) for key in self.keys]

    def _link(self, position: list[Any] | None, backwards: bool) -> str | None:
        if position is None or self.request is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param,
                                   encode_cursor(self.ordering, position, backwards=backwards))

    def get_paginated_response(self, data) -> Response:
        if not self.cursor_mode:
            return super().get_paginated_response(data)
        return Response({"next": self._link(self.next_position, False),
                         "previous": self._link(self.previous_position, True),
                         "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        schema = super().get_paginated_response_schema(schema)
        schema["required"] = ["results"]
        schema["description"] = str(_(
            "Page-number pages have count, count_exact, next, previous and results. Cursor "
            "pages (?pagination=cursor, then the cursor of next or previous) have next, "
            "previous and results, no count."))
        return schema

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [*super().get_schema_operation_parameters(view), {
            "name": self.cursor_query_param, "required": False, "in": "query",
            "schema": {"type": "string"},
            "description": str(_("Keyset pagination: the cursor from a cursor page's next or "
                                 "previous link. Page N costs what the first page costs; "
                                 "rows added meanwhile never repeat a row.")),
        }, {
            "name": self.mode_query_param, "required": False, "in": "query",
            "schema": {"type": "string", "enum": ["page", "cursor"]},
            "description": str(_("cursor: the first page of a cursor walk (no count); "
                                 "page (the default): numbered pages with a count.")),
        }]


class ApiViewMixin(_ViewBase):
    # Token first, so an anonymous caller gets 401 with ``WWW-Authenticate: Token``; a session
    # (the console's pages) is accepted with its CSRF check.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    throttle_classes = [AnonThrottle, UserThrottle]
    pagination_class = ApiPagination
    # Any path segment reaches the view, so a malformed id is a JSON 404 like a missing one.
    lookup_value_regex = "[^/]+"

    def get_exception_handler(self):
        return exception_handler

    def check_permissions(self, request):
        # Throttle first: DRF checks permissions before throttles, so an anonymous caller
        # refused with 401 would never be counted.
        super().check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request):
        """Done in check_permissions."""
