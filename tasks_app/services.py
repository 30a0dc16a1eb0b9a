"""Writes. Every change to a task is one of these calls: atomic, row-locked, checked against the
workflow table and the actor's role, bumping ``Task.version`` and writing exactly one TaskEvent.
Views, serializers, admin actions, commands and jobs call these and nothing else."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Sequence
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridmgmt import clock
from gridmgmt.models import Department, Duty, Officer, Role
from gridmgmt.services import locate, reference_checked
from gridmgmt.types import AnyUser, User

from . import authority, deadlines, notify, rows
from .authority import Action, Channel
from .console import dashboard
from .errors import DomainError
from .models import (
    Campaign,
    Category,
    Escalation,
    Notification,
    Open311Client,
    Open311Request,
    Photo,
    Source,
    Task,
    TaskEvent,
)
from .photos import validate_photo
from .selectors import earlier_occurrences, officer_of
from .workflow import CLOCK_RUNNING, Status, can_transition

Kind = TaskEvent.Kind


# -- helpers ------------------------------------------------------------------------------------

def _lock(task: Task | int, expected_version: int | None = None) -> Task:
    pk = task if isinstance(task, int) else task.pk
    try:
        locked = Task.objects.select_for_update(of=("self",)).select_related(
            "category", "grid__community__parent__parent").get(pk=pk)
    except Task.DoesNotExist as exc:
        raise DomainError("not_found", _("No such task.")) from exc
    if expected_version is not None and locked.version != expected_version:
        raise DomainError("stale_version", _("The task was changed by someone else; reload it."),
                          version=locked.version)
    locked._past_marks = dashboard.past_marks(locked)  # type: ignore[attr-defined]
    return locked


def _require(condition: bool, message: str, code: str = "forbidden") -> None:
    if not condition:
        raise DomainError(code, message)


def _authorise(actor: AnyUser | None, action: str, task: Task) -> None:
    """Every permission question goes to the authority module; this only asks it."""
    authority.of(actor).require(action, task)


def _require_note(note: str, what: str) -> str:
    note = (note or "").strip()
    if not note:
        raise DomainError("invalid_input", _("A reason is required to %(what)s.") % {"what": what})
    return note


def _check_transition(task: Task, to_status: str) -> None:
    if not can_transition(task.status, to_status):
        raise DomainError(
            "illegal_transition",
            _("A task that is %(from)s cannot become %(to)s.")
            % {"from": Status(task.status).label, "to": Status(to_status).label},
            status=task.status,
        )


def _commit(task: Task, *, actor: AnyUser | None, kind: str, from_status: str,
            note: str = "", extra: dict[str, Any] | None = None,
            at: datetime | None = None, insert: bool = False) -> TaskEvent:
    """Save the locked task with its version bumped and append its one event, dated ``at``
    (the moment the call stands for) or now. ``insert``: the task is new and has no id yet
    (task_report on PostgreSQL): its row and its event are written by one statement."""
    now = at or clock.now()
    deadlines.refresh_clock(task, now)
    task.version += 1
    written = {"kind": kind, "actor": actor if actor and actor.is_authenticated else None,
               "from_status": from_status, "to_status": task.status, "note": note,
               "extra": extra or {}, "version": task.version, "created_at": now}
    if insert:
        event = TaskEvent(task=task, **written)
        _insert_with_event(task, event, now)
    else:
        task.save()
    # The dashboard's cached trend of past days (console.dashboard): stale if this changed them.
    dashboard.task_written(task, getattr(task, "_past_marks", None))
    if not insert:
        event = TaskEvent.objects.create(task=task, **written)
    return event


# The photo files written by the call in progress (see _photo_files_undone_on_error).
_written_files: ContextVar[list | None] = ContextVar("written_photo_files", default=None)


def _photo_files_undone_on_error(service):
    """For services that store photos, outside their atomic block: a photo's file is written
    before its row, so when the call fails and its rows roll back, its files are deleted too
    (tests/drills/test_database_error.py). A crash mid-call, or an enclosing transaction that
    fails after the call returned, can still leave a file without a row."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        if _written_files.get() is not None:
            # Inside another such service (open311_request_file files a task_report): the
            # outermost call deletes the files, also when what follows the inner call fails.
            return service(*args, **kwargs)
        written: list = []
        token = _written_files.set(written)
        try:
            return service(*args, **kwargs)
        except BaseException:
            for storage, name in written:
                storage.delete(name)
            raise
        finally:
            _written_files.reset(token)

    return wrapper


def _add_photos(task: Task, uploads: Sequence[UploadedFile], kind: str,
                actor: AnyUser | None) -> list[Photo]:
    photos = []
    for upload in uploads:
        assert upload.size is not None  # validate_photo refuses an upload without a size
        photo = Photo(task=task, kind=kind, size=upload.size,
                      uploaded_by=actor if actor and actor.is_authenticated else None)
        photo.image.save(upload.name, upload, save=False)
        if (written := _written_files.get()) is not None:
            written.append((photo.image.storage, photo.image.name))
        photo.save()
        photos.append(photo)
    return photos


# Photos one call takes, of each kind: the API's bound, kept here so that every channel has it.
MAX_PHOTOS = 9


def _validated(uploads: Sequence[UploadedFile] | None) -> list[UploadedFile]:
    # All photos are checked before anything is written, so a bad one changes nothing.
    uploads = list(uploads or [])
    if len(uploads) > MAX_PHOTOS:
        raise DomainError("invalid_input", _("Send at most %(n)d photos at once.")
                          % {"n": MAX_PHOTOS})
    return [validate_photo(u) for u in uploads]


def _require_campaign_covers(campaign: Campaign, *, category_id: int, grid) -> None:
    """A campaign (专项整治) takes a task while it runs, when its categories include the task's
    and its streets or grids its place (an empty list covers all)."""
    _require(timezone.localdate(clock.now()) <= campaign.deadline,
             _("The campaign ended on %(date)s.") % {"date": campaign.deadline}, "conflict")
    categories = {c.pk for c in campaign.categories.all()}
    _require(not categories or category_id in categories,
             _("The campaign does not cover this task's category."), "invalid_input")
    streets = {r.pk for r in campaign.streets.all()}
    grids = {g.pk for g in campaign.grids.all()}
    _require(not (streets or grids) or grid.pk in grids or grid.community.parent_id in streets,
             _("The campaign does not cover this task's place."), "invalid_input")


def _dispatch(task: Task, *, assignee: Officer, department: Department | int | None,
              at: datetime) -> None:
    """``department`` (or its id; by default the assignee's) is set by id: nothing is read."""
    task.assignee = assignee
    if isinstance(department, Department):
        task.department = department
    else:
        task.department_id = department if department is not None else assignee.department_id
    task.dispatched_at = at
    deadlines.set_thresholds(task, start=at)


def _on_duty(role: str, at: datetime, *, grid_id: int | None = None,
             department_id: int | None = None) -> Officer | None:
    """``officers_holding(role=role, at=at, grid=... or department=...).first()``: the officer
    with the lowest id holding ``role`` for the grid or department at ``at``, as one
    hand-written read (every report asks; tests/workflow/test_task_report.py compares them)."""
    q = connection.ops.quote_name
    column, target = ("grid_id", grid_id) if grid_id is not None else ("department_id",
                                                                       department_id)
    sql = (f"SELECT {rows.columns(Officer, 'o')} FROM {q(Officer._meta.db_table)} o "
           f"WHERE o.id IN (SELECT d.officer_id FROM {q(Duty._meta.db_table)} d "
           f"WHERE d.role = %s AND d.{column} = %s AND d.valid_from <= %s "
           "AND (d.valid_to IS NULL OR d.valid_to > %s)) ORDER BY o.id LIMIT 1")
    when = rows.param(Duty, "valid_from", at)
    with connection.cursor() as cursor:
        cursor.execute(sql, [role, target, when, when])
        found = rows.instances(Officer, cursor.fetchall())
    return found[0] if found else None


def _auto_assignee(category: Category, location, at: datetime
                   ) -> tuple[Officer | None, int | None]:
    """The officer on duty and the responsible department's id (the category's, or None for
    the officer's own); the category's department is not read, only its id."""
    if category.default_department_id:
        handler = _on_duty(Role.HANDLER, at, department_id=category.default_department_id)
        if handler:
            return handler, category.default_department_id
    return _on_duty(Role.GRID_OFFICER, at, grid_id=location.grid.pk), None


def _escalate_for_repeat(task: Task, at: datetime) -> None:
    """The escalation rows of a repeat, up to the level task_report set before writing it."""
    Escalation.objects.bulk_create(
        [Escalation(task=task, level=lvl, reason=Escalation.Reason.REPEAT, crossed_at=at)
         for lvl in range(1, task.escalation_level + 1)]
    )


def _row(obj: Any, skip: tuple[str, ...] = ()) -> tuple[list[str], list[Any]]:
    """The columns and values an INSERT of ``obj`` writes, as ``save()`` prepares them (each
    field's ``pre_save``, e.g. ``auto_now``, then its database value); not its id."""
    columns, values = [], []
    for f in obj._meta.local_concrete_fields:
        if f.primary_key or f.generated or f.attname in skip:
            continue
        columns.append(connection.ops.quote_name(f.column))
        values.append(f.get_db_prep_save(f.pre_save(obj, True), connection))
    return columns, values


_INSERT_WITH_EVENT: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}


def _insert_with_event(task: Task, event: TaskEvent, at: datetime) -> None:
    """PostgreSQL: a new task's row, with its id from the table's sequence and its code made
    from that id as ``_task_code`` makes it, and its first event, in one statement (``save()``
    takes three: the id first, as the code needs it, then the row, then the event)."""
    task_columns, task_values = _row(task, skip=("code",))
    event_columns, event_values = _row(event, skip=("task_id",))
    q = connection.ops.quote_name
    key = (tuple(task_columns), tuple(event_columns))
    sql = _INSERT_WITH_EVENT.get(key)
    if sql is None:
        new_id = "(SELECT id FROM n)"
        sql = _INSERT_WITH_EVENT[key] = (
            "WITH n AS (SELECT nextval(pg_get_serial_sequence(%s, 'id')) AS id), "
            f"t AS (INSERT INTO {q(Task._meta.db_table)} "
            f"({q('id')}, {q('code')}, {', '.join(task_columns)}) VALUES ({new_id}, "
            f"%s || lpad({new_id}::text, greatest(7, length({new_id}::text)), '0'), "
            f"{', '.join(['%s'] * len(task_columns))}) RETURNING {q('id')}) "
            f"INSERT INTO {q(TaskEvent._meta.db_table)} "
            f"({q('task_id')}, {', '.join(event_columns)}) VALUES ((SELECT id FROM t), "
            f"{', '.join(['%s'] * len(event_columns))}) RETURNING {q('id')}, {q('task_id')}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [q(Task._meta.db_table), f"{timezone.localtime(at):%Y%m%d}",
                             *task_values, *event_values])
        event_id, task_id = cursor.fetchone()
    task.pk, task.code = task_id, _task_code(at, task_id)
    event.pk, event.task = event_id, task
    for obj in (task, event):
        obj._state.adding, obj._state.db = False, connection.alias


def _task_code(reported_at: datetime, pk: int) -> str:
    return f"{timezone.localtime(reported_at):%Y%m%d}{pk:07d}"


def warm_report() -> None:
    """At a server's start-up (config.wsgi): the map index and the work calendar, and one read
    of each table a report plans against, so that the database session has the task table and
    its indexes in its caches before the first report (read-only; nothing is written)."""
    from gridmgmt.models import Grid
    from gridmgmt.services import warm

    warm()
    category, grid = Category.objects.first(), Grid.objects.first()
    if category is None or grid is None:
        return
    now = clock.now()
    earlier_occurrences(category=category, lng=0.0, lat=0.0, at=now)
    _on_duty(Role.GRID_OFFICER, now, grid_id=grid.pk)
    TaskEvent.objects.filter(pk=0).exists()
    Escalation.objects.filter(pk=0).exists()
    Notification.objects.filter(pk=0).exists()


# -- report -------------------------------------------------------------------------------------

@_photo_files_undone_on_error
@transaction.atomic
@reference_checked()  # one read of the map's and the work calendar's stamps for the whole call
def task_report(
    *,
    reporter: AnyUser | None,
    category: Category,
    lng: Any,
    lat: Any,
    title: str = "",
    description: str = "",
    address: str = "",
    source: str | None = None,
    channel: str | None = None,
    photos: Sequence[UploadedFile] | None = None,
    fixed_on_spot: bool = False,
    after_photos: Sequence[UploadedFile] | None = None,
    campaign: Campaign | None = None,
) -> Task:
    """Register a problem: locate it, detect repeats, dispatch it when the category or the grid
    names who is responsible, or take it as already fixed on the spot (自处理).

    ``channel`` is the interface the report came through (``authority.Channel``): the source is
    then the one the reporter may claim there, never simply what a client says. Without a
    channel the caller is the system itself (replaying history, jobs) and the source is taken
    as given."""
    if channel is not None:
        source = authority.of(reporter).report_source(channel, source)
    source = source or Source.PATROL
    if source not in Source.values:
        raise DomainError("invalid_input", _("Unknown source."))
    if not category.is_active:
        raise DomainError("invalid_input", _("This category is no longer in use."))
    location = locate(lng, lat)
    if campaign is not None:
        _require_campaign_covers(campaign, category_id=category.pk, grid=location.grid)
    before = _validated(photos)
    after = _validated(after_photos)
    officer = officer_of(reporter) if fixed_on_spot else None
    if fixed_on_spot:
        _require(officer is not None,
                 _("Only an officer can report a problem as fixed on the spot."))
        _require(bool(before) and bool(after),
                 _("A problem fixed on the spot needs a before and an after photo."),
                 "invalid_input")
    now = clock.now()
    task = Task(
        category=category, source=source,
        title=(title or f"{category.name} · {address.strip() or location.grid.name}")[:200],
        description=description, lng=location.lng, lat=location.lat, address=address[:255],
        grid=location.grid, road=location.road,
        reporter=reporter if reporter and reporter.is_authenticated else None,
        campaign=campaign, reported_at=now, fixed_on_spot=fixed_on_spot,
    )
    earlier = earlier_occurrences(category=category, lng=location.lng, lat=location.lat, at=now)
    level: int | None = None
    if earlier:
        task.repeat_of = earlier[0]
        task.repeat_seq = len(earlier) + 1
        level = task.escalation_level = 2 if task.repeat_seq >= 3 else 1
    if fixed_on_spot:
        assert officer is not None  # required above
        _dispatch(task, assignee=officer, department=officer.department_id, at=now)
        task.status = Status.SUBMITTED
        task.started_at = task.submitted_at = now
    elif category.auto_dispatch:
        assignee, department = _auto_assignee(category, location, now)
        if assignee is not None:
            _dispatch(task, assignee=assignee, department=department, at=now)
            task.status = Status.ASSIGNED
    one_statement = connection.vendor == "postgresql"  # the id and the code with the row
    if not one_statement:
        task.save()  # the id first: the code is made from it
        task.code = _task_code(now, task.pk)
    task.version = 0  # _commit bumps it to 1 for the first event
    extra = {
        "grid": location.grid.code,
        "road": location.road.code if location.road else None,
        "auto_dispatched": task.status == Status.ASSIGNED,
        "fixed_on_spot": fixed_on_spot,
        # Who is responsible from now: the evaluation reads departments from the event log.
        "department": task.department_id,
    }
    if earlier:
        extra.update(repeat_of=earlier[0].pk, repeat_seq=task.repeat_seq,
                     escalated_to=level, last_seen=earlier[0].reported_at.isoformat())
    # Dated the report's moment: the same as reported_at and as the repeat's escalation rows,
    # so a history ordered by time reads report, then escalation, even across a second.
    _commit(task, actor=reporter, kind=Kind.REPORTED, from_status="", extra=extra, at=now,
            insert=one_statement)
    if level is not None:
        _escalate_for_repeat(task, now)
    _add_photos(task, before, Photo.Kind.BEFORE, reporter)
    _add_photos(task, after, Photo.Kind.AFTER, reporter)
    if level is not None:
        # The alerts are outbox rows in this same transaction: committed together or not at all.
        notify.create_alerts([(task.pk, level)], now=now, places={
            task.pk: (task.assignee_id, task.road_id, task.grid_id)})
    return task


# -- dispatch -----------------------------------------------------------------------------------

@transaction.atomic
def task_assign(*, task: Task, actor: User, assignee: Officer,
                department: Department | None = None, note: str = "",
                expected_version: int | None = None) -> Task:
    """Dispatch a registered task, or reassign (改派) an open one. A reassignment keeps the
    running clock: the problem has waited as long as it has."""
    task = _lock(task, expected_version)
    _authorise(actor, Action.ASSIGN, task)
    if task.status == Status.ASSIGNED and task.assignee_id == assignee.pk:
        raise DomainError("conflict", _("The task is already assigned to %(name)s.")
                          % {"name": assignee.name})
    from_status = task.status
    _check_transition(task, Status.ASSIGNED)
    previous = task.assignee
    if from_status == Status.REPORTED:
        _dispatch(task, assignee=assignee, department=department, at=clock.now())
        kind = Kind.ASSIGNED
    else:
        if from_status == Status.ON_HOLD:
            _end_hold(task, clock.now())  # reassigning ends the hold; its time stays off the clock
        task.assignee = assignee
        task.department = department or assignee.department
        task.extension_requested_until = None  # the new assignee asks for time themselves
        kind = Kind.REASSIGNED
    task.status = Status.ASSIGNED
    _commit(task, actor=actor, kind=kind, from_status=from_status, note=note,
            extra={"assignee": assignee.pk, "previous": previous.pk if previous else None,
                   "department": task.department_id})
    return task


# -- handling -----------------------------------------------------------------------------------

@_photo_files_undone_on_error
@transaction.atomic
def task_start(*, task: Task, actor: User, note: str = "", plan: str = "",
               photos: Sequence[UploadedFile] | None = None,
               expected_version: int | None = None) -> Task:
    """Start work, with the plan (一套方案) and before photos where they are required: by the
    category, by a supervisor, or by escalation level 2. A plan already written counts."""
    task = _lock(task, expected_version)
    _check_transition(task, Status.IN_PROGRESS)
    _require(task.status == Status.ASSIGNED, _("Only an assigned task can be started."),
             "illegal_transition")
    _authorise(actor, Action.START, task)
    plan = (plan or "").strip()
    _require(bool(plan or task.plan) or not task.needs_plan,
             _("Write the plan before starting: what will be done, by whom, by when."),
             "invalid_input")
    uploads = _validated(photos)
    _require(bool(uploads) or not task.category.before_photo_required
             or task.photos.filter(kind=Photo.Kind.BEFORE).exists(),
             _("Take a before photo before starting this task."), "invalid_input")
    now = clock.now()
    if plan and plan != task.plan:
        task.plan, task.plan_by, task.plan_at = plan, actor, now
    _add_photos(task, uploads, Photo.Kind.BEFORE, actor)
    from_status, task.status = task.status, Status.IN_PROGRESS
    task.started_at = task.started_at or now
    _commit(task, actor=actor, kind=Kind.STARTED, from_status=from_status, note=note,
            extra={"plan": bool(plan), "photos": len(uploads)})
    return task


@_photo_files_undone_on_error
@transaction.atomic
def task_submit(*, task: Task, actor: User, note: str = "",
                photos: Sequence[UploadedFile] | None = None,
                expected_version: int | None = None) -> Task:
    """Report the fix with at least one after photo (sent now, or added since work resumed)."""
    task = _lock(task, expected_version)
    _check_transition(task, Status.SUBMITTED)
    _authorise(actor, Action.SUBMIT, task)
    uploads = _validated(photos)
    if not uploads:
        since = task.events.filter(kind__in=[Kind.STARTED, Kind.REWORK]).order_by(
            "-created_at").values_list("created_at", flat=True).first()
        has_after = task.photos.filter(kind=Photo.Kind.AFTER,
                                       created_at__gte=since or task.reported_at).exists()
        _require(has_after, _("Submitting a fix needs an after photo."), "invalid_input")
    _add_photos(task, uploads, Photo.Kind.AFTER, actor)
    from_status, task.status = task.status, Status.SUBMITTED
    task.extension_requested_until = None  # the work is done: a pending request is moot
    task.submitted_at = clock.now()
    _commit(task, actor=actor, kind=Kind.SUBMITTED, from_status=from_status, note=note,
            extra={"photos": len(uploads)})
    return task


@transaction.atomic
def task_verify(*, task: Task, actor: User, approved: bool, note: str = "",
                expected_version: int | None = None) -> Task:
    """Verify a fix (核查): approve closes the task; refuse sends it back for rework (返工)."""
    task = _lock(task, expected_version)
    to_status = Status.CLOSED if approved else Status.IN_PROGRESS
    _check_transition(task, to_status)
    # in_progress is also reachable from assigned and on_hold, but only a submitted fix is verified.
    _require(task.status == Status.SUBMITTED, _("Only a submitted fix can be verified."),
             "illegal_transition")
    _authorise(actor, Action.VERIFY, task)  # separation of duties included
    from_status = task.status
    now = clock.now()
    if approved:
        task.status = Status.CLOSED
        task.closed_at = now
        # Lateness is judged by when the fix was made, not by how long verification took.
        task.closed_late = bool(task.deadline and task.submitted_at
                                and task.submitted_at > task.deadline)
        kind = Kind.APPROVED
        # A citizen who reported it on the web and left an e-mail is told, after the commit.
        from .public.services import queue_closure_mail
        queue_closure_mail(task=task, at=now)
    else:
        note = _require_note(note, _("send a task back"))
        task.status = Status.IN_PROGRESS
        task.rework_count += 1
        # The clock stood still while the fix waited for verification: the assignee is not
        # charged for the verifier's time.
        if task.submitted_at is not None:
            deadlines.shift_for_hold(task, hold_start=task.submitted_at, resume=now)
        kind = Kind.REWORK
    _commit(task, actor=actor, kind=kind, from_status=from_status, note=note,
            extra={"rework_count": task.rework_count} if not approved else {})
    return task


# -- extensions ---------------------------------------------------------------------------------

MAX_EXTENSION = timedelta(days=366)  # a year past the current deadline, leap or not

@transaction.atomic
def task_request_extension(*, task: Task, actor: User, until: datetime,
                           reason: str, expected_version: int | None = None) -> Task:
    task = _lock(task, expected_version)
    _require(task.status in CLOCK_RUNNING,
             _("Only an assigned or started task can be extended."), "illegal_transition")
    _authorise(actor, Action.EXTEND, task)
    reason = _require_note(reason, _("ask for more time"))
    _require(task.extension_requested_until is None,
             _("An extension request is already waiting for a decision."), "conflict")
    _require(task.deadline is not None and until > task.deadline,
             _("The new deadline must be later than the current one."), "invalid_input")
    assert task.deadline is not None  # required above
    # A bound here, not only in the API: 9999-12-31 from any channel would overflow the
    # working-time arithmetic of every later approve, resume or reassign.
    _require(until <= task.deadline + MAX_EXTENSION,
             _("Ask for at most a year beyond the current deadline."), "invalid_input")
    task.extension_requested_until = until
    _commit(task, actor=actor, kind=Kind.EXTENSION_REQUESTED, from_status=task.status,
            note=reason, extra={"until": until.isoformat(), "deadline": task.deadline.isoformat()})
    return task


@transaction.atomic
def task_decide_extension(*, task: Task, actor: User, approved: bool,
                          note: str = "", expected_version: int | None = None) -> Task:
    task = _lock(task, expected_version)
    _require(task.is_open, _("A closed or void task has no deadline left to extend."),
             "illegal_transition")
    _authorise(actor, Action.DECIDE_EXTENSION, task)
    _require(task.extension_requested_until is not None,
             _("No extension request is waiting."), "conflict")
    until = task.extension_requested_until
    assert until is not None  # required above
    previous = task.deadline
    task.extension_requested_until = None
    if approved:
        deadlines.extend_deadline(task, new_deadline=until, now=clock.now())
        task.extension_count += 1
        kind = Kind.EXTENSION_APPROVED
    else:
        note = _require_note(note, _("refuse an extension"))
        kind = Kind.EXTENSION_REFUSED
    _commit(task, actor=actor, kind=kind, from_status=task.status, note=note,
            extra={"until": until.isoformat(),
                   "previous_deadline": previous.isoformat() if previous else None})
    return task


# -- holds and void -----------------------------------------------------------------------------

@transaction.atomic
def task_hold(*, task: Task, actor: User, reason: str,
              expected_version: int | None = None) -> Task:
    """Put a task on hold (挂账): the clock stops until it is resumed."""
    task = _lock(task, expected_version)
    _check_transition(task, Status.ON_HOLD)
    _authorise(actor, Action.HOLD, task)
    reason = _require_note(reason, _("put a task on hold"))
    from_status = task.status
    task.hold_from_status, task.status = from_status, Status.ON_HOLD
    task.hold_started_at = clock.now()
    _commit(task, actor=actor, kind=Kind.HELD, from_status=from_status, note=reason)
    return task


def _end_hold(task: Task, now: datetime) -> int:
    """Restart a held task's clock: thresholds move by the time on hold. Returns its seconds."""
    held_since = task.hold_started_at or now
    deadlines.shift_for_hold(task, hold_start=held_since, resume=now)
    held = int((now - held_since).total_seconds())
    task.held_seconds += max(held, 0)
    task.hold_started_at, task.hold_from_status = None, ""
    return held


@transaction.atomic
def task_resume(*, task: Task, actor: User, note: str = "",
                expected_version: int | None = None) -> Task:
    task = _lock(task, expected_version)
    _require(task.status == Status.ON_HOLD, _("Only a task on hold can be resumed."),
             "illegal_transition")
    _authorise(actor, Action.RESUME, task)
    to_status = task.hold_from_status or Status.ASSIGNED
    _check_transition(task, to_status)
    held = _end_hold(task, clock.now())
    task.status = to_status
    _commit(task, actor=actor, kind=Kind.RESUMED, from_status=Status.ON_HOLD, note=note,
            extra={"held_seconds": held})
    return task


@transaction.atomic
def task_void(*, task: Task, actor: User, reason: str,
              expected_version: int | None = None) -> Task:
    """Refuse to register a report (不予立案), with a reason."""
    task = _lock(task, expected_version)
    _check_transition(task, Status.VOID)
    _authorise(actor, Action.VOID, task)
    reason = _require_note(reason, _("void a report"))
    from_status, task.status = task.status, Status.VOID
    _commit(task, actor=actor, kind=Kind.VOIDED, from_status=from_status, note=reason)
    return task


# -- photos -------------------------------------------------------------------------------------

@_photo_files_undone_on_error
@transaction.atomic
def task_add_photo(*, task: Task, actor: User, image: UploadedFile,
                   kind: str = Photo.Kind.EVIDENCE, expected_version: int | None = None) -> Photo:
    task = _lock(task, expected_version)
    _require(task.is_open, _("Photos can only be added to an open task."), "illegal_transition")
    _authorise(actor, Action.PHOTO, task)
    if kind not in Photo.Kind.values:
        raise DomainError("invalid_input", _("Unknown photo kind."))
    (upload,) = _validated([image])
    (photo,) = _add_photos(task, [upload], kind, actor)
    _commit(task, actor=actor, kind=Kind.PHOTO_ADDED, from_status=task.status,
            extra={"photo": photo.pk, "kind": kind})
    return photo


# -- details ------------------------------------------------------------------------------------

# What a supervisor may edit on a task outside the workflow; everything else is the workflow's,
# the plan is task_set_plan's and the category and source are task_correct's.
DETAIL_FIELDS = ("title", "description", "address")


def _apply_changes(task: Task, changes: dict[str, Any]) -> dict[str, list[Any]]:
    changed = {}
    for name, value in changes.items():
        old = getattr(task, name)
        if old != value:
            setattr(task, name, value)
            changed[name] = [_jsonable(old), _jsonable(value)]
    return changed


@transaction.atomic
def task_update_details(*, task: Task, actor: User, changes: dict[str, Any],
                        expected_version: int | None = None) -> Task:
    """Edit a task's descriptive fields (title, description, address), recorded as one
    ``updated`` event listing what changed."""
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise DomainError("invalid_input", _("These fields cannot be edited: %(fields)s.")
                          % {"fields": ", ".join(sorted(unknown))})
    task = _lock(task, expected_version)
    _authorise(actor, Action.EDIT, task)
    if "title" in changes and not str(changes["title"]).strip():
        raise DomainError("invalid_input", _("A task needs a title."))
    changed = _apply_changes(task, changes)
    if not changed:
        return task
    _commit(task, actor=actor, kind=Kind.UPDATED, from_status=task.status,
            extra={"changed": changed})
    return task


@transaction.atomic
def task_set_plan(*, task: Task, actor: User, plan: str,
                  expected_version: int | None = None) -> Task:
    """Write or rewrite the rectification plan (一个问题一套方案): the assignee or a supervisor."""
    task = _lock(task, expected_version)
    _require(task.is_open, _("A closed or void task takes no plan."), "illegal_transition")
    _authorise(actor, Action.PLAN, task)
    plan = (plan or "").strip()
    _require(bool(plan), _("Write the plan: what will be done, by whom, by when."),
             "invalid_input")
    if plan == task.plan:
        return task
    previous, task.plan = task.plan, plan
    task.plan_by, task.plan_at = actor, clock.now()
    _commit(task, actor=actor, kind=Kind.PLANNED, from_status=task.status,
            extra={"previous": previous} if previous else {})
    return task


@transaction.atomic
def task_require_plan(*, task: Task, actor: User, note: str = "",
                      expected_version: int | None = None) -> Task:
    """A supervisor asks for a written plan before the work starts (一个问题一套方案)."""
    task = _lock(task, expected_version)
    _require(task.status in (Status.REPORTED, Status.ASSIGNED),
             _("A plan can be required only before the work starts."), "illegal_transition")
    _authorise(actor, Action.REQUIRE_PLAN, task)
    if task.plan_required:
        return task
    task.plan_required = True
    _commit(task, actor=actor, kind=Kind.UPDATED, from_status=task.status, note=note,
            extra={"changed": {"plan_required": [False, True]}})
    return task


@transaction.atomic
def task_correct(*, task: Task, actor: User, reason: str,
                 category: Category | None = None, source: str | None = None,
                 expected_version: int | None = None) -> Task:
    """Correct a task's category or source: both decide the monthly scores, so only the bureau
    level may, never a unit scored on the task, always with a reason; the month's review lists
    the corrections. A dispatched task keeps its deadline: the correction is of the record."""
    task = _lock(task, expected_version)
    _require(task.status != Status.VOID, _("A void report is not corrected."),
             "illegal_transition")
    _authorise(actor, Action.CORRECT, task)
    reason = _require_note(reason, _("correct a task"))
    changes: dict[str, Any] = {}
    if category is not None:
        _require(category.is_active, _("This category is no longer in use."), "invalid_input")
        changes["category"] = category
    if source is not None:
        _require(source in Source.values, _("Unknown source."), "invalid_input")
        changes["source"] = source
    changed = _apply_changes(task, changes)
    _require(bool(changed), _("Nothing to correct: choose another category or source."),
             "invalid_input")
    _commit(task, actor=actor, kind=Kind.CORRECTED, from_status=task.status, note=reason,
            extra={"changed": changed})
    return task


def _jsonable(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


# -- console: reminders and campaigns -----------------------------------------------------------

URGE_COOLDOWN = timedelta(hours=1)
# Reminder outbox rows use ``level`` as their number (unique per task and recipient); counting
# from 10 keeps them apart from the ladder's levels 0-3 wherever levels are listed together.
REMINDER_LEVEL_BASE = 10


@transaction.atomic
def task_urge(*, task: Task, actor: User, note: str = "",
              expected_version: int | None = None) -> Task:
    """Urge (催办): e-mail the assignee a reminder now, through the outbox. A second urge within
    ``URGE_COOLDOWN`` is refused, so a double click or two supervisors at once send one e-mail."""
    task = _lock(task, expected_version)
    _require(task.status in CLOCK_RUNNING,
             _("Only an assigned or started task can be urged."), "illegal_transition")
    _authorise(actor, Action.URGE, task)
    now = clock.now()
    last = task.events.filter(kind=Kind.URGED).order_by("-created_at") \
        .values_list("created_at", flat=True).first()
    _require(last is None or now - last >= URGE_COOLDOWN,
             _("The assignee was already reminded less than an hour ago."), "conflict")
    assert task.assignee is not None  # an assigned or started task has its assignee
    sent_before = Notification.objects.filter(kind=Notification.Kind.REMINDER, task=task).count()
    Notification.objects.create(
        kind=Notification.Kind.REMINDER, task=task, level=REMINDER_LEVEL_BASE + sent_before,
        recipient=task.assignee, email=task.assignee.email, created_at=now, next_attempt_at=now)
    notify.kick_sender_on_commit()
    _commit(task, actor=actor, kind=Kind.URGED, from_status=task.status, note=note,
            extra={"reminder": sent_before + 1, "assignee": task.assignee_id})
    return task


@transaction.atomic
def task_join_campaign(*, task: Task, actor: User, campaign: Campaign,
                       expected_version: int | None = None) -> Task:
    """Add a task to a campaign (专项整治) whose scope covers it: its category among the
    campaign's categories and its place among its streets or grids (an empty list covers all).
    Prefetch the campaign's ``categories``, ``streets`` and ``grids`` when adding many tasks."""
    task = _lock(task, expected_version)
    _authorise(actor, Action.CAMPAIGN, task)
    _require(task.status != Status.VOID, _("A void report cannot join a campaign."),
             "illegal_transition")
    _require(task.campaign_id != campaign.pk, _("The task is already in this campaign."),
             "conflict")
    _require_campaign_covers(campaign, category_id=task.category_id, grid=task.grid)
    changed = _apply_changes(task, {"campaign": campaign})
    _commit(task, actor=actor, kind=Kind.UPDATED, from_status=task.status,
            extra={"changed": changed})
    return task


# -- Open311 ------------------------------------------------------------------------------------

@_photo_files_undone_on_error
@transaction.atomic
def open311_request_file(
    *,
    client: Open311Client,
    category: Category,
    lng: Any,
    lat: Any,
    description: str = "",
    address: str = "",
    photos: Sequence[UploadedFile] | None = None,
    contact: dict[str, str] | None = None,
    attributes: dict[str, Any] | None = None,
) -> Open311Request:
    """File a request another system posted through Open311: a report like any other, with the
    source the client's key stands for (citizen unless the bureau set another), and the record of
    who filed it with the citizen's contact details, which are never published."""
    _require(client.is_active, _("This Open311 client is switched off."))
    contact = contact or {}
    unknown = set(contact) - {"email", "first_name", "last_name", "phone", "device_id",
                              "account_id", "media_url"}
    _require(not unknown, _("Unknown contact fields."), "invalid_input")
    task = task_report(reporter=None, category=category, lng=lng, lat=lat,
                       description=description, address=address,
                       source=client.source or Source.CITIZEN, channel=Channel.OPEN311,
                       photos=photos)
    # The token is issued for clients that follow one; the id is known at once.
    return Open311Request.objects.create(task=task, client=client,
                                         token=secrets.token_urlsafe(12),
                                         attributes=attributes or {}, **contact)


# -- registration desk (立案) -------------------------------------------------------------------

MAX_CONTACT = 200


@transaction.atomic
def task_record_call(*, task: Task, actor: User, source: str, note: str = "",
                     contact: str = "", expected_version: int | None = None) -> Task:
    """Record another call about an open task (a hotline caller, an inspection, the media
    reporting what is already registered) instead of registering it twice: one event on the
    task with the call's source, what was said and the caller's contact. Events are never
    published, so the contact stays inside the bureau."""
    task = _lock(task, expected_version)
    source = authority.of(actor).report_source(authority.Channel.DESK, source)
    _authorise(actor, Action.RECORD_CALL, task)
    _require(task.is_open, _("Only an open task can take another call: register a new one."),
             "illegal_transition")
    contact = (contact or "").strip()
    _require(len(contact) <= MAX_CONTACT, _("The caller's contact is too long."),
             "invalid_input")
    _commit(task, actor=actor, kind=Kind.CALL_LINKED, from_status=task.status,
            note=(note or "").strip(), extra={"source": source, "contact": contact})
    return task
