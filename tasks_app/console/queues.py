"""The supervisors' queues (待派遣, 待核查, 延期申请, 挂账, 督办, 返工): what waits for someone's
decision, defined once as query filters with the order of urgency within each.

The task list's ``queue`` filter, the dashboard's queue strip and the navigation's counts all
read these, so a count and the list it links to hold the same tasks. Counting is one aggregate
over the user's scope (``authority.of(user).tasks()``), done once per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .. import authority
from ..workflow import CLOCK_RUNNING, OPEN_STATUSES, Status
from .links import tasks_url

PARAM = "queue"


@dataclass(frozen=True)
class Queue:
    key: str
    label: str | Promise
    q: Q
    # The most urgent first: the longest waiting, or the deadline passed longest ago.
    ordering: tuple
    kind: str = ""  # a CSS modifier of its tile

    @property
    def url(self) -> str:
        return tasks_url(**{PARAM: self.key})


def _by_deadline(*then: str) -> tuple:
    # Running tasks have a deadline; a task without one (never dispatched) goes last.
    return (F("deadline").asc(nulls_last=True), *then, "pk")


QUEUES: tuple[Queue, ...] = (
    Queue("dispatch", _("To dispatch"), Q(status=Status.REPORTED),
          ("reported_at", "pk"), "open"),
    Queue("verify", _("To verify"), Q(status=Status.SUBMITTED),
          ("submitted_at", "pk"), "open"),
    Queue("extension", _("Extension requests"),
          Q(status__in=OPEN_STATUSES, extension_requested_until__isnull=False),
          _by_deadline(), "yellow"),
    Queue("hold", _("On hold"), Q(status=Status.ON_HOLD), ("hold_started_at", "pk")),
    Queue("supervised", _("Supervised (督办)"),
          Q(status__in=OPEN_STATUSES) & (Q(escalation_level__gte=3) | Q(supervised=True)),
          _by_deadline("reported_at"), "red"),
    Queue("rework", _("Rework"), Q(status__in=CLOCK_RUNNING, rework_count__gt=0),
          _by_deadline(), "red"),
)
BY_KEY = {queue.key: queue for queue in QUEUES}


def aggregates() -> dict[str, Count]:
    """The counts as aggregate expressions, to add to a larger ``aggregate()`` call (every
    queue is a subset of the open tasks)."""
    return {f"queue_{queue.key}": Count("pk", filter=queue.q) for queue in QUEUES}


def counts_from(row: dict[str, int]) -> dict[str, int]:
    return {queue.key: row[f"queue_{queue.key}"] for queue in QUEUES}


def count(tasks) -> dict[str, int]:
    """{queue key: count} over ``tasks`` in one query."""
    return counts_from(tasks.filter(status__in=OPEN_STATUSES).aggregate(**aggregates()))


@dataclass(frozen=True)
class Counted:
    queue: Queue
    value: int

    @property
    def key(self) -> str:
        return self.queue.key

    @property
    def label(self):
        return self.queue.label

    @property
    def url(self) -> str:
        return self.queue.url

    @property
    def kind(self) -> str:
        # A queue with nothing waiting is drawn quietly.
        return self.queue.kind if self.value else "empty"


def listed(counts: dict[str, int]) -> list[Counted]:
    return [Counted(queue, counts.get(queue.key, 0)) for queue in QUEUES]


def for_request(request) -> dict[str, int]:
    """The user's queue counts, computed at most once per request (the navigation shows them on
    every console page)."""
    cached = getattr(request, "_console_queue_counts", None)
    if cached is None:
        cached = count(authority.of(request.user).tasks())
        request._console_queue_counts = cached
    return cached


def remember(request, counts: dict[str, int]) -> None:
    """Counts already computed in this request (the dashboard's aggregate) for the nav."""
    request._console_queue_counts = counts
