"""Reads of the citizen's pages: the open problems near a new report, a problem as the public
may see it (status in words, the public time limit, the result's photos), the map's frame."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.utils.translation import gettext as _
from shapely.geometry import shape

from gridmgmt.models import Grid
from tasks_app.models import Category, Task
from tasks_app.selectors import earlier_occurrences
from tasks_app.workflow import Status

from .board_selectors import accepted_fix_photos, public_q
from .models import CitizenReport, Rating

MAX_NEARBY = 5
MAP_CACHE_KEY = "public:citizen:map"
MAX_OUTLINES = 400  # more grids than this: the map shows the covered area's frame only


@dataclass(frozen=True)
class Nearby:
    public: list[Task]  # shown with a link to their public page
    internal: int  # open problems the bureau found itself: counted, not shown


def open_nearby(*, category: Category, lng: float, lat: float, at) -> Nearby:
    """The open problems of ``category`` within its repeat radius and window, the same rule the
    report service applies to mark a repeat (selectors.earlier_occurrences)."""
    found = [t for t in earlier_occurrences(category=category, lng=lng, lat=lat, at=at)
             if t.is_open]
    # What is public is the board's rule (board_selectors.public_q), asked in one query.
    shown = set(Task.objects.filter(public_q(), pk__in=[t.pk for t in found])
                .values_list("pk", flat=True)) if found else set()
    public = [t for t in found if t.pk in shown]
    for t in public:
        t.category = category  # all of it: no query per problem listed
    return Nearby(public=public[:MAX_NEARBY], internal=len(found) - len(public))


def status_words(task: Task) -> str:
    """Where the problem stands, in the public's words (no internal step names)."""
    words = {
        Status.REPORTED: _("Received: waiting to be passed to the people responsible."),
        Status.ASSIGNED: _("Passed to the people responsible: waiting to be dealt with."),
        Status.IN_PROGRESS: _("Being dealt with."),
        Status.ON_HOLD: _("Put on hold: it cannot be dealt with for now."),
        Status.SUBMITTED: _("Dealt with: the result is being checked."),
        Status.CLOSED: _("Closed: the result was checked."),
        Status.VOID: _("Not taken up: it is not a problem the bureau deals with."),
    }
    return words[Status(task.status)]


def time_limit_text(category: Category) -> str:
    """The published time limit (办事时限) of a category, e.g. "4 working hours"."""
    limit = category.time_limit
    number = f"{limit.normalize():f}" if isinstance(limit, Decimal) else str(limit)
    return f"{number} {Category.TimeUnit(category.time_unit).label}"


def result_photos(task: Task) -> list[int]:
    """The after photos of a closed problem, as ids for the board's photo view (public copies
    without EXIF)."""
    if task.status != Status.CLOSED:
        return []
    return list(accepted_fix_photos().filter(task=task).order_by("created_at", "pk")
                .values_list("pk", flat=True)[:6])


def public_task(code: str) -> Task | None:
    """A problem the board publishes, by its number."""
    return (Task.objects.filter(public_q(), code=code)
            .select_related("category", "grid__community").first())


def rating_of(report: CitizenReport) -> Rating | None:
    return Rating.objects.filter(task_id=report.task_id).first()


def map_frame() -> dict:
    """Where the bureau takes reports: the grids' outlines (few) or their frame (many),
    cached; grids change rarely and the page is public."""
    frame = cache.get(MAP_CACHE_KEY)
    if frame is not None:
        return frame
    boundaries = list(Grid.objects.values_list("boundary", flat=True)[:MAX_OUTLINES + 1])
    shapes = [shape(b) for b in boundaries]
    if not shapes:
        frame = {"bounds": None, "outlines": []}
    else:
        xs = [v for s in shapes for v in (s.bounds[0], s.bounds[2])]
        ys = [v for s in shapes for v in (s.bounds[1], s.bounds[3])]
        if len(shapes) > MAX_OUTLINES:
            # Too many to draw: the first grids' frame is a fair start (a frame of all of them
            # would read every boundary); the citizen pans, or uses the phone's place.
            boundaries = []
        frame = {"bounds": [[min(ys), min(xs)], [max(ys), max(xs)]],
                 "outlines": boundaries}
    cache.set(MAP_CACHE_KEY, frame, 600)
    return frame
