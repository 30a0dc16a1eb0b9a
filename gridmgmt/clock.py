"""The one place the system reads the time.

Services and jobs ask ``clock.now()``; seeds replay history by freezing it with ``clock.frozen(at)``
(tests can also use time-machine, which this follows because it reads Django's ``timezone.now``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone

_frozen: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("frozen", default=None)


def now() -> datetime:
    return _frozen.get() or timezone.now()


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[None]:
    token = _frozen.set(at)
    try:
        yield
    finally:
        _frozen.reset(token)
