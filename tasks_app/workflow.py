"""The task lifecycle as a table (collect → register → dispatch → handle → verify → close).

Services move a task only along ALLOWED_TRANSITIONS; anything else is an illegal transition.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    SUBMITTED = "submitted", _("Submitted")
    CLOSED = "closed", _("Closed")
    VOID = "void", _("Void")


ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.REPORTED: {Status.ASSIGNED, Status.VOID},
    # assigned → assigned is a reassignment (改派).
    Status.ASSIGNED: {Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD},
    Status.IN_PROGRESS: {Status.ASSIGNED, Status.SUBMITTED, Status.ON_HOLD},
    Status.ON_HOLD: {Status.ASSIGNED, Status.IN_PROGRESS},
    Status.SUBMITTED: {Status.CLOSED, Status.IN_PROGRESS},
    Status.CLOSED: set(),
    Status.VOID: set(),
}

# The states a new report may arrive in: plain, auto-dispatched, or fixed on the spot.
INITIAL_STATUSES = {Status.REPORTED, Status.ASSIGNED, Status.SUBMITTED}

OPEN_STATUSES = frozenset(
    {Status.REPORTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD, Status.SUBMITTED}
)
# States in which the deadline clock runs and the escalation ladder applies.
CLOCK_RUNNING = frozenset({Status.ASSIGNED, Status.IN_PROGRESS})
TERMINAL_STATUSES = frozenset({Status.CLOSED, Status.VOID})


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED_TRANSITIONS.get(from_status, set())
