"""The one domain error. Every refused action raises it with a stable code and a human message;
the API maps the code to an HTTP status, the pages show the message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    # Codes a client can act on, and the HTTP status the API answers with.
    STATUS = {
        "invalid_coordinates": 400,
        "outside_area": 422,
        "invalid_input": 400,
        "invalid_photo": 400,
        "photo_too_large": 413,
        "forbidden": 403,
        "not_found": 404,
        "illegal_transition": 409,
        "conflict": 409,
        "stale_version": 412,
    }

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.extra = extra

    @property
    def http_status(self) -> int:
        return self.STATUS.get(self.code, 400)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
