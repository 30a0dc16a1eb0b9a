"""What must be fixed: categories, rectification tasks, their event log, photos, escalations,
campaigns. Writes go through ``services``; nothing here imports from above the models."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridmgmt import clock
from gridmgmt.models import Department, Grid, Officer, Region, Road
from gridmgmt.worktime import Unit

from .workflow import OPEN_STATUSES, Status


class Category(models.Model):
    class Kind(models.TextChoices):
        COMPONENT = "component", _("Component (部件)")
        EVENT = "event", _("Event (事件)")

    class TimeUnit(models.TextChoices):
        WORK_HOURS = Unit.WORK_HOURS, _("working hours")
        WORK_DAYS = Unit.WORK_DAYS, _("working days")
        HOURS = Unit.HOURS, _("natural hours")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    time_limit = models.DecimalField(_("time limit"), max_digits=6, decimal_places=1)
    time_unit = models.CharField(_("time unit"), max_length=16, choices=TimeUnit.choices,
                                 default=TimeUnit.WORK_HOURS)
    points = models.DecimalField(_("deduction points"), max_digits=5, decimal_places=1,
                                 default=1)
    high_deduction = models.BooleanField(_("high-deduction category"), default=False)
    default_department = models.ForeignKey(
        Department, models.SET_NULL, null=True, blank=True, related_name="categories",
        verbose_name=_("default department"),
    )
    auto_dispatch = models.BooleanField(_("dispatch automatically"), default=True)
    # 一个问题一套方案: the assignee writes the plan before starting; a before photo likewise.
    plan_required = models.BooleanField(_("plan required to start"), default=False)
    before_photo_required = models.BooleanField(_("before photo required to start"),
                                                default=False)
    repeat_radius_m = models.PositiveIntegerField(_("repeat radius (m)"), default=50)
    repeat_window_days = models.PositiveIntegerField(_("repeat window (days)"), default=30)
    # Escalation ladder; the defaults are DESIGN.md's, each category may override them.
    yellow_ratio = models.DecimalField(_("yellow at share of limit"), max_digits=3,
                                       decimal_places=2, default=0.8)
    level2_limits = models.DecimalField(_("level 2 after deadline (× limit)"), max_digits=4,
                                        decimal_places=1, default=1)
    level3_limits = models.DecimalField(_("level 3 after deadline (× limit)"), max_digits=4,
                                        decimal_places=1, default=3)
    is_active = models.BooleanField(_("active"), default=True)
    # When the category or one of its questions last changed: Open311's discovery changeset.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(name="category_limit_positive", condition=Q(time_limit__gt=0)),
            models.CheckConstraint(
                name="category_ladder_ordered",
                condition=Q(yellow_ratio__gt=0, yellow_ratio__lt=1)
                & Q(level3_limits__gt=models.F("level2_limits"), level2_limits__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.time_unit == self.TimeUnit.WORK_DAYS and self.time_limit is not None \
                and self.time_limit % 1:
            raise ValidationError({"time_limit": _(
                "A limit in working days must be a whole number; use working hours for less.")})


class Campaign(models.Model):
    """A special action (专项整治): a named push with a lead department and a deadline."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    lead_department = models.ForeignKey(Department, models.PROTECT, related_name="led_campaigns",
                                        verbose_name=_("lead department"))
    cooperating_departments = models.ManyToManyField(
        Department, blank=True, related_name="campaigns", verbose_name=_("cooperating departments")
    )
    streets = models.ManyToManyField(Region, blank=True, related_name="campaigns",
                                     limit_choices_to={"level": "street"},
                                     verbose_name=_("streets"))
    grids = models.ManyToManyField(Grid, blank=True, related_name="campaigns",
                                   verbose_name=_("grids"))
    categories = models.ManyToManyField(Category, blank=True, related_name="campaigns",
                                        verbose_name=_("categories"))
    starts_on = models.DateField(_("starts on"))
    deadline = models.DateField(_("deadline"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(name="campaign_dates_ordered",
                                   condition=Q(deadline__gte=models.F("starts_on"))),
        ]

    def __str__(self) -> str:
        return self.name


class Light(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class Source(models.TextChoices):
    PATROL = "patrol", _("Patrol (主动发现)")
    INSPECTOR = "inspector", _("Inspector")
    THIRD_PARTY = "third_party", _("Third-party evaluation")
    CITY_INSPECTION = "city_inspection", _("City inspection")
    CITIZEN = "citizen", _("Citizen complaint")
    MEDIA = "media", _("Media")
    HOTLINE = "hotline", _("12345 hotline")


class Task(models.Model):
    """One problem, one plan, one responsible person, one deadline, followed to the end."""

    code = models.CharField(_("code"), max_length=32, unique=True, null=True, blank=True)
    category = models.ForeignKey(Category, models.PROTECT, related_name="tasks",
                                 verbose_name=_("category"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices,
                              default=Source.PATROL)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    lng = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    address = models.CharField(_("address"), max_length=255, blank=True)
    grid = models.ForeignKey(Grid, models.PROTECT, related_name="tasks", verbose_name=_("grid"))
    road = models.ForeignKey(Road, models.PROTECT, null=True, blank=True, related_name="tasks",
                             verbose_name=_("road"))
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                 blank=True, related_name="reported_tasks",
                                 verbose_name=_("reporter"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.REPORTED)
    assignee = models.ForeignKey(Officer, models.PROTECT, null=True, blank=True,
                                 related_name="tasks", verbose_name=_("assignee"))
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True,
                                   related_name="tasks", verbose_name=_("department"))
    plan = models.TextField(_("rectification plan"), blank=True)
    # Set by a supervisor (task_require_plan); the category and the level may require it too.
    plan_required = models.BooleanField(_("plan required by a supervisor"), default=False)
    plan_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("plan written by"))
    plan_at = models.DateTimeField(_("plan written at"), null=True, blank=True)
    campaign = models.ForeignKey(Campaign, models.SET_NULL, null=True, blank=True,
                                 related_name="tasks", verbose_name=_("campaign"))
    fixed_on_spot = models.BooleanField(_("fixed on the spot"), default=False)
    # The clock. Thresholds are computed once at dispatch in the category's time unit (working
    # time where it says so) and shifted by holds, so a sweep only compares timestamps.
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    yellow_at = models.DateTimeField(_("yellow at"), null=True, blank=True)
    level2_at = models.DateTimeField(_("level 2 at"), null=True, blank=True)
    level3_at = models.DateTimeField(_("level 3 at"), null=True, blank=True)
    next_escalation_at = models.DateTimeField(_("next check"), null=True, blank=True)
    light = models.CharField(_("light"), max_length=8, choices=Light.choices,
                             default=Light.GREEN)
    # -1: nothing crossed yet; 0: yellow warning sent; 1-3: escalation levels.
    escalation_level = models.SmallIntegerField(_("escalation level"), default=-1)
    supervised = models.BooleanField(_("supervised (督办)"), default=False)
    repeat_of = models.ForeignKey("self", models.SET_NULL, null=True, blank=True,
                                  related_name="repeats", verbose_name=_("repeat of"))
    repeat_seq = models.PositiveSmallIntegerField(_("occurrence"), default=1)
    rework_count = models.PositiveSmallIntegerField(_("rework count"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("extensions granted"), default=0)
    extension_requested_until = models.DateTimeField(_("extension requested until"), null=True,
                                                     blank=True)
    hold_started_at = models.DateTimeField(_("on hold since"), null=True, blank=True)
    hold_from_status = models.CharField(_("status before hold"), max_length=16, blank=True)
    held_seconds = models.PositiveIntegerField(_("time on hold (s)"), default=0)
    version = models.PositiveIntegerField(_("version"), default=1)
    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_late = models.BooleanField(_("closed late"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("rectification task")
        verbose_name_plural = _("rectification tasks")
        ordering = ["-reported_at"]
        indexes = [
            # The sweep reads only open tasks whose next threshold has passed.
            models.Index(fields=["next_escalation_at"], name="task_next_escalation",
                         condition=Q(next_escalation_at__isnull=False)),
            models.Index(fields=["category", "reported_at"], name="task_category_time"),
            # Repeat detection on every report: one category, a box of about 100 m, 30 days.
            # With longitude second the box is one narrow index range whatever the table's size
            # (bench/README.md, intake: 54 ms → 0.2 ms for this query at a million tasks).
            models.Index(fields=["category", "lng", "lat", "reported_at"],
                         name="task_repeat_lookup"),
            models.Index(fields=["status", "light", "deadline"], name="task_urgency"),
            models.Index(fields=["assignee", "status"], name="task_assignee_status"),
            models.Index(fields=["grid", "status"], name="task_grid_status"),
            models.Index(fields=["closed_at"], name="task_closed_at"),
            models.Index(fields=["deadline"], name="task_deadline"),
            # Running tasks by deadline (the console's most overdue): a few thousand rows, where
            # task_deadline would walk every closed task first (bench/README.md, load).
            models.Index(fields=["deadline"], name="task_running_deadline",
                         condition=Q(status__in=["assigned", "in_progress"])),
        ]
        constraints = [
            models.CheckConstraint(
                name="task_valid_lng_lat",
                condition=Q(lng__gte=-180, lng__lte=180, lat__gte=-90, lat__lte=90),
            ),
            models.CheckConstraint(
                name="task_assigned_has_assignee",
                condition=Q(status__in=[Status.REPORTED, Status.VOID]) | Q(assignee__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code or self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def needs_plan(self) -> bool:
        """Whether starting needs a written plan: the category says so, a supervisor asked,
        or the task has reached escalation level 2."""
        return self.plan_required or self.category.plan_required or self.escalation_level >= 2

    @property
    def is_repeat(self) -> bool:
        return self.repeat_of_id is not None


class TaskEvent(models.Model):
    """The append-only audit log: one row per change, in the manner of an audit log table."""

    class Kind(models.TextChoices):
        REPORTED = "reported", _("Reported")
        ASSIGNED = "assigned", _("Assigned")
        REASSIGNED = "reassigned", _("Reassigned")
        STARTED = "started", _("Started")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Verified and closed")
        REWORK = "rework", _("Sent back for rework")
        EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
        EXTENSION_APPROVED = "extension_approved", _("Extension approved")
        EXTENSION_REFUSED = "extension_refused", _("Extension refused")
        HELD = "held", _("Put on hold")
        RESUMED = "resumed", _("Resumed")
        VOIDED = "voided", _("Voided")
        ESCALATED = "escalated", _("Escalated")
        PHOTO_ADDED = "photo_added", _("Photo added")
        UPDATED = "updated", _("Updated")
        URGED = "urged", _("Urged by a supervisor")
        PLANNED = "planned", _("Plan written")
        CORRECTED = "corrected", _("Category or source corrected")
        CALL_LINKED = "call_linked", _("Call recorded at the desk")

    task = models.ForeignKey(Task, models.CASCADE, related_name="events",
                             verbose_name=_("task"))
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    extra = models.JSONField(_("extra"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("task version"))
    created_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("task event")
        verbose_name_plural = _("task events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["task", "created_at"], name="event_task_time"),
                   # The evaluation page's corrections (a few among millions of events).
                   models.Index(fields=["created_at"], name="event_corrected_time",
                                condition=Q(kind="corrected")),
                   # The monthly evaluation's rework events (about 1 % of a month's events).
                   models.Index(fields=["created_at"], name="event_rework_time",
                                condition=Q(kind="rework"))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Task events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Task events are append-only.")


def _photo_path(instance: Photo, filename: str) -> str:
    # Generated names: nothing of the uploader's filename reaches the disk.
    ext = PurePosixPath(filename).suffix.lower()
    return f"photos/{instance.task_id}/{uuid.uuid4().hex}{ext}"


class Photo(models.Model):
    class Kind(models.TextChoices):
        BEFORE = "before", _("Before")
        AFTER = "after", _("After")
        EVIDENCE = "evidence", _("Evidence")

    task = models.ForeignKey(Task, models.CASCADE, related_name="photos",
                             verbose_name=_("task"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    image = models.ImageField(_("image"), upload_to=_photo_path, width_field="width",
                              height_field="height")
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    size = models.PositiveIntegerField(_("bytes"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+",
                                    verbose_name=_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded at"), default=clock.now)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Escalation(models.Model):
    """A ladder level crossed by a task, recorded once: the unique row is what makes a second
    sweep, or a second worker, unable to cross it again."""

    class Reason(models.TextChoices):
        TIME = "time", _("Time threshold")
        REPEAT = "repeat", _("Repeated problem")
        MANUAL = "manual", _("Urged by a supervisor")

    task = models.ForeignKey(Task, models.CASCADE, related_name="escalations",
                             verbose_name=_("task"))
    level = models.SmallIntegerField(_("level"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    crossed_at = models.DateTimeField(_("crossed at"))

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["task", "level"]
        constraints = [
            models.UniqueConstraint(fields=["task", "level"], name="one_crossing_per_level"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} L{self.level}"


class Notification(models.Model):
    """The outbox: one row per alert to one person. The unique constraints make a second sweep,
    a second worker, or a rerun after a crash unable to create the same alert twice; the sender
    claims rows, so a row is sent at most once and is never lost."""

    class Kind(models.TextChoices):
        YELLOW_WARNING = "yellow_warning", _("Yellow warning")
        ESCALATION = "escalation", _("Escalation alert")
        DIGEST = "digest", _("Daily digest")
        MONTHLY_REPORT = "monthly_report", _("Monthly report")
        REMINDER = "reminder", _("Reminder")
        PATROL_OVERDUE = "patrol_overdue", _("Patrol overdue")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    task = models.ForeignKey(Task, models.CASCADE, null=True, blank=True,
                             related_name="notifications", verbose_name=_("task"))
    level = models.SmallIntegerField(_("level"), default=0)
    # For digests and reports, which day or month the row is for (the dedup key instead of task).
    period = models.CharField(_("period"), max_length=16, blank=True)
    recipient = models.ForeignKey(Officer, models.CASCADE, related_name="notifications",
                                  verbose_name=_("recipient"))
    email = models.EmailField(_("e-mail"), blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="notification_due",
                         condition=Q(status__in=["pending", "sending"])),
        ]
        constraints = [
            models.UniqueConstraint(fields=["kind", "task", "level", "recipient"],
                                    condition=Q(task__isnull=False), name="one_alert_per_person"),
            models.UniqueConstraint(fields=["kind", "period", "recipient"],
                                    condition=Q(task__isnull=True), name="one_report_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.get_status_display()})"


class Submission(models.Model):
    """An idempotency key: a client (an offline phone, an API caller) that sends the same
    submission again gets the first result instead of a second task or a second action."""

    key = models.CharField(_("key"), max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    task = models.ForeignKey(Task, models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("task"))
    action = models.CharField(_("action"), max_length=32)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("submission (repeat guard)")
        verbose_name_plural = _("submissions (repeat guard)")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_submission_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.key}"


# == Open311 GeoReport v2 (tasks_app/api/open311) ============================================
# Other systems (citizen apps, the 12345 hotline) file tasks through Open311. These models belong
# to the API: the clients allowed to post, the requests they filed, and the extra questions a
# category asks (service definition attributes).


class Open311Client(models.Model):
    """A system allowed to post Open311 requests. Only a digest of its API key is stored: the key
    is shown once, when the admin issues it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    source = models.CharField(_("files tasks as"), max_length=20, choices=Source.choices,
                              default=Source.CITIZEN)
    key_prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def issue_key(self) -> str:
        """Set a new random key (the old one stops working) and return it; save afterwards."""
        key = secrets.token_urlsafe(30)
        self.key_prefix, self.key_hash = key[:8], self.digest(key)
        return key


class Open311Request(models.Model):
    """A task filed through Open311: which client filed it, the token it was given, and the
    citizen's contact details (never published)."""

    task = models.OneToOneField(Task, models.CASCADE, related_name="open311_request",
                                verbose_name=_("task"))
    client = models.ForeignKey(Open311Client, models.PROTECT, related_name="requests",
                               verbose_name=_("client"))
    token = models.CharField(_("token"), max_length=32, unique=True)
    email = models.EmailField(_("e-mail"), blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    device_id = models.CharField(_("device id"), max_length=100, blank=True)
    account_id = models.CharField(_("account id"), max_length=100, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.client} · {self.task_id}"


class ServiceAttribute(models.Model):
    """An extra question a category asks when a request is posted (an attribute of the Open311
    service definition), e.g. which kind of vehicle is parked."""

    class Datatype(models.TextChoices):
        STRING = "string", _("Short text")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Long text")
        SINGLE = "singlevaluelist", _("One of a list")
        MULTI = "multivaluelist", _("Several of a list")

    category = models.ForeignKey(Category, models.CASCADE, related_name="service_attributes",
                                 verbose_name=_("category"))
    code = models.CharField(_("code"), max_length=32)
    description = models.CharField(_("question"), max_length=255)
    datatype = models.CharField(_("data type"), max_length=16, choices=Datatype.choices,
                                default=Datatype.STRING)
    datatype_description = models.CharField(_("data type help"), max_length=255, blank=True)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    values = models.JSONField(_("values (list of {key, name})"), default=list, blank=True)

    class Meta:
        verbose_name = _("service attribute")
        verbose_name_plural = _("service attributes")
        ordering = ["category", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="one_attribute_code"),
        ]

    def __str__(self) -> str:
        return f"{self.category.code}/{self.code}"


@receiver([post_save, post_delete], sender=ServiceAttribute)
def _service_definition_changed(sender, instance: ServiceAttribute, **kwargs) -> None:
    # A question added, edited or removed changes the category's service definition.
    Category.objects.filter(pk=instance.category_id).update(updated_at=timezone.now())


class EvaluationScheme(models.Model):
    """How the monthly composite score (综合考评) weighs the indicators: score = base + Σ weight ×
    indicator. Rates are fractions (0–1); counts and points enter as they are. The active scheme
    is edited in the admin; a new scheme can be prepared and switched to at a month's start."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=False)
    base = models.DecimalField(_("base score"), max_digits=6, decimal_places=2, default=100)
    w_closed_rate = models.DecimalField(_("weight: closure rate"), max_digits=6,
                                        decimal_places=2, default=10)
    w_on_time_rate = models.DecimalField(_("weight: on-time closure rate"), max_digits=6,
                                         decimal_places=2, default=20)
    w_rework_rate = models.DecimalField(_("weight: rework rate"), max_digits=6,
                                        decimal_places=2, default=-10)
    w_extension_rate = models.DecimalField(_("weight: extension rate"), max_digits=6,
                                           decimal_places=2, default=-5)
    w_patrol_rate = models.DecimalField(_("weight: patrol discovery rate"), max_digits=6,
                                        decimal_places=2, default=10)
    w_self_fixed_rate = models.DecimalField(_("weight: self-fixed rate"), max_digits=6,
                                            decimal_places=2, default=10)
    w_third_party_rate = models.DecimalField(_("weight: third-party discovery rate"),
                                             max_digits=6, decimal_places=2, default=-15)
    # 群众满意度 counts against full satisfaction: weight × (rate − 1), so a unit nobody rated
    # loses nothing and one rated only 满意 or 基本满意 loses nothing either.
    w_satisfaction_rate = models.DecimalField(_("weight: public satisfaction rate"),
                                              max_digits=6, decimal_places=2, default=10)
    w_overdue = models.DecimalField(_("weight: per overdue task"), max_digits=6,
                                    decimal_places=2, default=-1)
    w_repeats = models.DecimalField(_("weight: per repeated problem"), max_digits=6,
                                    decimal_places=2, default=-2)
    w_points = models.DecimalField(_("weight: per deduction point"), max_digits=6,
                                   decimal_places=2, default=-0.5)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("evaluation scheme")
        verbose_name_plural = _("evaluation schemes")
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True),
                                    name="one_active_scheme"),
        ]

    def __str__(self) -> str:
        return self.name


# -- the published month and its review meeting (每月一会一点评一奖罚) ------------------------

class EvaluationPublication(models.Model):
    """One published version of a month's evaluation: every level's rows frozen as
    ``EvaluationSnapshotRow``, with the scheme they were scored by. A republished month keeps its
    earlier versions (``superseded_at``); exactly one version of a month is current."""

    month = models.CharField(_("month"), max_length=7, db_index=True)  # YYYY-MM
    version = models.PositiveIntegerField(_("version"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                     verbose_name=_("published by"))
    published_at = models.DateTimeField(_("published at"))
    reason = models.TextField(_("reason"), blank=True)
    scheme = models.JSONField(_("scheme"), default=dict)  # name and weights as strings
    levels = models.JSONField(_("levels"), default=list)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    superseded_by = models.OneToOneField("self", models.PROTECT, null=True, blank=True,
                                         related_name="supersedes",
                                         verbose_name=_("superseded by"))

    class Meta:
        verbose_name = _("evaluation publication")
        verbose_name_plural = _("evaluation publications")
        ordering = ["month", "version"]
        constraints = [
            models.UniqueConstraint(fields=["month", "version"], name="publication_version"),
            models.UniqueConstraint(fields=["month"], condition=Q(superseded_at__isnull=True),
                                    name="one_current_publication"),
        ]

    def __str__(self) -> str:
        return f"{self.month} v{self.version}"


class EvaluationSnapshotRow(models.Model):
    """One unit's frozen figures: ``data`` is ``evaluation.Row.as_dict()`` at publication."""

    publication = models.ForeignKey(EvaluationPublication, models.CASCADE, related_name="rows",
                                    verbose_name=_("publication"))
    level = models.CharField(_("level"), max_length=16)
    district = models.ForeignKey(Region, models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("district"))  # null: every district together
    unit_id = models.PositiveIntegerField(_("unit"))
    position = models.PositiveIntegerField(_("position"))  # order of the ranking as published
    name = models.CharField(_("name"), max_length=200)
    # Null for a unit with no data (无数据), listed after the ranked ones.
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=8, decimal_places=2, null=True,
                                blank=True)
    data = models.JSONField(_("figures"))

    class Meta:
        verbose_name = _("evaluation snapshot row")
        verbose_name_plural = _("evaluation snapshot rows")
        ordering = ["publication", "level", "district", "position"]
        indexes = [models.Index(fields=["publication", "level", "district"],
                                name="snapshot_scope")]

    def __str__(self) -> str:
        return f"{self.publication} {self.level} {self.name}"


class UnitReview(models.Model):
    """The meeting's comment (点评) on one unit's month."""

    month = models.CharField(_("month"), max_length=7, db_index=True)
    level = models.CharField(_("level"), max_length=16)
    unit_id = models.PositiveIntegerField(_("unit"))
    unit_name = models.CharField(_("unit name"), max_length=200)
    publication = models.ForeignKey(EvaluationPublication, models.PROTECT, related_name="+",
                                    verbose_name=_("publication"))  # the version reviewed
    comment = models.TextField(_("comment"), blank=True)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                   verbose_name=_("written by"))
    written_at = models.DateTimeField(_("written at"))

    class Meta:
        verbose_name = _("unit review")
        verbose_name_plural = _("unit reviews")
        constraints = [models.UniqueConstraint(fields=["month", "level", "unit_id"],
                                               name="one_review_per_unit_month")]

    def __str__(self) -> str:
        return f"{self.month} {self.unit_name}"


class Decision(models.Model):
    """A reward or penalty the meeting decided for a unit (奖罚)."""

    class Kind(models.TextChoices):
        PRAISE = "praise", _("Praise")
        CRITICISM = "criticism", _("Public criticism")
        INTERVIEW = "interview", _("Interview")
        REWARD = "reward", _("Reward")
        PENALTY = "penalty", _("Penalty")

    review = models.ForeignKey(UnitReview, models.CASCADE, related_name="decisions",
                               verbose_name=_("review"))
    kind = models.CharField(_("decision"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2, null=True,
                                 blank=True)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2, null=True,
                                 blank=True)
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.review}"


class FollowUp(models.Model):
    """A requirement of the meeting (整改要求), with a responsible officer and a deadline, open
    until it is marked done."""

    review = models.ForeignKey(UnitReview, models.CASCADE, related_name="follow_ups",
                               verbose_name=_("review"))
    requirement = models.TextField(_("requirement"))
    responsible = models.ForeignKey(Officer, models.PROTECT, related_name="follow_ups",
                                    verbose_name=_("responsible officer"))
    deadline = models.DateField(_("deadline"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("done by"))
    done_note = models.TextField(_("note on completion"), blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["deadline", "pk"]

    def __str__(self) -> str:
        return self.requirement[:50]

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate(clock.now())
        return self.done_at is None and self.deadline < today

    def was_done_late(self) -> bool:
        return self.done_at is not None and timezone.localdate(self.done_at) > self.deadline
