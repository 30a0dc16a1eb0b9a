"""Optimistic concurrency and idempotency for the task endpoints.

A task's ETag is its ``version`` in quotes. A write that sends ``If-Match`` with an older version
answers 412 and changes nothing; the service checks the version again under the row lock, so two
writers holding the same version cannot both win.

An ``Idempotency-Key`` makes a create or an action safe to retry: the key is stored (as a
``Submission``) in the same transaction as the change, so the retry gets the first result; two
concurrent requests with one key collide on the unique constraint and the loser replays.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from ..errors import DomainError
from ..models import Submission, Task
from .errors import IdempotencyKeyReused, PreconditionRequired

_TAG = re.compile(r'^\s*"?(\d{1,9})"?\s*$')
_KEY = re.compile(r"^[\x21-\x7e]{1,64}$")  # visible ASCII, as long as Submission.key allows
REPLAYED_HEADER = "Idempotent-Replayed"


def etag(task: Task) -> str:
    return f'"{task.version}"'


def expected_version(request: Request, task: Task) -> int | None:
    """The version the caller's If-Match asks for, or None for ``If-Match: *`` (the caller
    says, explicitly, that any version will do).

    Every write to an existing task needs If-Match: without it the answer is 428, so a client
    that forgets it cannot overwrite a change it never saw. Raises DomainError("stale_version")
    at once when no tag matches the task as read, so a stale request never reaches the service;
    a tag that matches is passed on and re-checked there under the row lock."""
    raw = request.headers.get("If-Match")
    if raw is None or not raw.strip():
        raise PreconditionRequired()
    if raw.strip() == "*":
        return None
    tags = {int(m.group(1)) for part in raw.split(",") if (m := _TAG.match(part))}
    if task.version in tags:
        return task.version
    raise DomainError("stale_version", _("The task was changed by someone else; reload it."),
                      version=task.version)


def idempotency_key(request: Request) -> str | None:
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':  # the draft standard sends a quoted string
        raw = raw[1:-1]
    if not _KEY.match(raw):
        raise ValidationError({"Idempotency-Key": [
            _("Use 1 to 64 visible ASCII characters for an Idempotency-Key.")]})
    return raw


@dataclass(frozen=True)
class Outcome:
    task: Task
    replayed: bool
    ref: str = ""  # what else the action produced, e.g. the id of an uploaded photo


def run_once(request: Request, *, action: str, work: Callable[[], tuple[Task, str]],
             task: Task | None = None) -> Outcome:
    """Run ``work`` once per (user, Idempotency-Key); without a key, just run it."""
    key = idempotency_key(request)
    if key is None:
        done, ref = work()
        return Outcome(done, False, ref)
    user = request.user
    assert user.is_authenticated  # the API's writes need a login (IsAuthenticated)
    earlier = Submission.objects.filter(user=user, key=key).select_related("task").first()
    if earlier is not None:
        return _replay(earlier, action, task)
    try:
        with transaction.atomic():
            done, ref = work()
            Submission.objects.create(user=user, key=key, task=done,
                                      action=f"{action}:{ref}" if ref else action)
    except IntegrityError:
        earlier = Submission.objects.filter(user=user, key=key).select_related("task").first()
        if earlier is None:
            raise
        return _replay(earlier, action, task)
    return Outcome(done, False, ref)


def _replay(earlier: Submission, action: str, task: Task | None) -> Outcome:
    name, _sep, ref = earlier.action.partition(":")
    if name != action or earlier.task is None or (task is not None
                                                  and earlier.task_id != task.pk):
        raise IdempotencyKeyReused()
    return Outcome(earlier.task, True, ref)
