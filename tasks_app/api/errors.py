"""The API's one error shape and the one place errors become HTTP statuses.

Every error body is ``{"code": ..., "message": ...}``; invalid input adds ``errors`` (field →
messages) and a stale version adds the current ``version``. Domain errors keep the code and
message the service gave, with the status ``DomainError.http_status`` names.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from ..errors import DomainError


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "precondition_required"
    default_detail = _('Send If-Match with the task\'s ETag as last read, e.g. If-Match: "3".')


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = _("This Idempotency-Key was already used for a different request.")


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        set_rollback()
        body: dict[str, Any] = {"code": exc.code, "message": exc.message}
        if exc.code == "stale_version" and "version" in exc.extra:
            body["version"] = exc.extra["version"]
        return Response(body, status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid_input",
            "message": str(_("The request is not valid: %(reason)s"))
            % {"reason": _first_message(exc.detail)},
            "errors": exc.detail if isinstance(exc.detail, dict) else {"non_field_errors":
                                                                       exc.detail},
        }
    else:
        codes = exc.get_codes()
        response.data = {
            "code": codes if isinstance(codes, str) else exc.default_code,
            "message": _first_message(exc.detail),
        }
    return response


class ErrorSerializer(serializers.Serializer):
    """An error: a stable code a client can act on and a message for people."""

    code = serializers.CharField(help_text=_("Stable error code, e.g. illegal_transition."))
    message = serializers.CharField(help_text=_("Human-readable message, in the request language."))
    # A declared field named like Serializer.errors: DRF's metaclass moves it to _declared_fields.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(), required=False,
        help_text=_("Invalid input: the messages per field."))
    version = serializers.IntegerField(
        required=False, help_text=_("Stale version: the task's current version."))


_DESCRIPTIONS = {
    400: _("Invalid input (code invalid_input, invalid_coordinates, invalid_photo)."),
    401: _("Not authenticated."),
    403: _("Not allowed: the caller's role cannot do this (code forbidden)."),
    404: _("Not found, or outside the caller's scope."),
    409: _("Illegal transition or conflicting state (code illegal_transition, conflict)."),
    412: _("If-Match names an older version of the task (code stale_version); nothing changed."),
    413: _("The photo is too large in bytes or pixels (code photo_too_large)."),
    415: _("Unsupported media type."),
    428: _("If-Match is missing (code precondition_required): every write to an existing "
           "task sends the ETag it last read; nothing changed."),
    422: _("Unprocessable: a point outside every grid, or a reused Idempotency-Key."),
    429: _("Too many requests."),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for the given error statuses (401 and 429 are always possible)."""
    return {code: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code])
            for code in sorted({*codes, 401, 429})}
