"""Idempotency keys for the phone's submissions. The page puts a fresh random key in every form;
a phone that sends the same form twice (a queued offline submission replayed after the first
attempt did reach the server, a double tap) gets the first result instead of a second task.

The key row is written in the same transaction as the change, so either both exist or neither;
two concurrent requests with one key collide on the unique constraint and the loser rolls back.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import IntegrityError, transaction

from gridmgmt.types import User

from ..errors import DomainError
from ..models import Submission, Task

_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def clean_key(raw: str | None) -> str:
    raw = (raw or "").strip()
    return raw if _KEY.match(raw) else ""


def earlier_result(user: User, key: str) -> Task | None:
    if not key:
        return None
    sub = Submission.objects.filter(user=user, key=key).select_related("task").first()
    return sub.task if sub else None


def run_once(*, user: User, key: str, action: str,
             work: Callable[[], Task]) -> tuple[Task, bool]:
    """Run ``work`` once per (user, key). Returns the task and whether this was a replay."""
    if not key:
        return work(), False
    done = earlier_result(user, key)
    if done is not None:
        return done, True
    try:
        with transaction.atomic():
            task = work()
            Submission.objects.create(user=user, key=key, action=action, task=task)
    except (IntegrityError, DomainError):
        # The same key sent twice at once (a phone that lost the first answer resends while the
        # first request still runs): the second waits for the task's row lock and finds the
        # version moved on, or collides on the key. Either way the first one's result counts.
        done = earlier_result(user, key)
        if done is None:
            raise
        return done, True
    return task, False
