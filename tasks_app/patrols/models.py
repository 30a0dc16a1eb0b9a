"""Patrols, their check-ins, the roads and grids they covered, the problems found on the way, the
required patrol frequencies and the overdue alerts. Writes go through ``services``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridmgmt.models import Grid, Officer, Region, Road
from tasks_app.models import Task


class PlaceKind(models.TextChoices):
    ROAD = "road", _("Road")
    GRID = "grid", _("Grid")


class PatrolRule(models.Model):
    """How often a road or grid must be patrolled. The most specific rule applies: one naming
    the road or grid, then one for the grids of a region (community, street, district), then
    the rule for every road or every grid. Seeded: main roads daily, grids every two days."""

    applies_to = models.CharField(_("applies to"), max_length=8, choices=PlaceKind.choices)
    road = models.ForeignKey(Road, models.CASCADE, null=True, blank=True,
                             related_name="patrol_rules", verbose_name=_("road"))
    grid = models.ForeignKey(Grid, models.CASCADE, null=True, blank=True,
                             related_name="patrol_rules", verbose_name=_("grid"))
    region = models.ForeignKey(Region, models.CASCADE, null=True, blank=True,
                               related_name="patrol_rules",
                               verbose_name=_("grids of region"))
    every_hours = models.PositiveIntegerField(
        _("patrol at least every (hours)"),
        help_text=_("24 for daily, 48 for every two days, 168 for weekly."))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("patrol frequency")
        verbose_name_plural = _("patrol frequencies")
        ordering = ["applies_to", "road", "region", "grid"]
        constraints = [
            models.CheckConstraint(name="patrol_rule_every_positive",
                                   condition=Q(every_hours__gt=0)),
            models.CheckConstraint(
                name="patrol_rule_target_fits",
                condition=(Q(applies_to="road", grid__isnull=True, region__isnull=True)
                           | Q(applies_to="grid", road__isnull=True)
                           & (Q(grid__isnull=True) | Q(region__isnull=True)))),
            models.UniqueConstraint(fields=["applies_to"], name="one_default_patrol_rule",
                                    condition=Q(road__isnull=True, grid__isnull=True,
                                                region__isnull=True)),
            models.UniqueConstraint(fields=["road"], name="one_patrol_rule_per_road",
                                    condition=Q(road__isnull=False)),
            models.UniqueConstraint(fields=["grid"], name="one_patrol_rule_per_grid",
                                    condition=Q(grid__isnull=False)),
            models.UniqueConstraint(fields=["region"], name="one_patrol_rule_per_region",
                                    condition=Q(region__isnull=False)),
        ]

    def __str__(self) -> str:
        target = self.road or self.grid or self.region or (
            _("every road") if self.applies_to == PlaceKind.ROAD else _("every grid"))
        return _("%(target)s: every %(hours)s h") % {"target": target, "hours": self.every_hours}

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.applies_to == PlaceKind.ROAD and (self.grid_id or self.region_id):
            raise ValidationError(_("A rule for roads names a road or none."))
        if self.applies_to == PlaceKind.GRID and self.road_id:
            raise ValidationError(_("A rule for grids names a grid, a region or none."))
        if self.grid_id and self.region_id:
            raise ValidationError(_("Name a grid or a region, not both."))


class Patrol(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        ENDED = "ended", _("Ended")

    officer = models.ForeignKey(Officer, models.PROTECT, related_name="patrols",
                                verbose_name=_("officer"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.RUNNING)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    distance_m = models.FloatField(_("distance (m)"), default=0)
    check_in_count = models.PositiveIntegerField(_("check-ins"), default=0)
    # The latest counted point by the device's time: the next one extends the route from it.
    last_lng = models.FloatField(null=True, blank=True)
    last_lat = models.FloatField(null=True, blank=True)
    last_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["officer", "started_at"], name="patrol_officer_time")]
        constraints = [
            models.UniqueConstraint(fields=["officer"], condition=Q(status="running"),
                                    name="one_running_patrol"),
            models.CheckConstraint(
                name="patrol_ended_has_end",
                condition=Q(status="running", ended_at__isnull=True)
                | Q(status="ended", ended_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.officer} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.RUNNING


class CheckIn(models.Model):
    class Kind(models.TextChoices):
        POINT = "point", _("Position")
        PROBLEM = "problem", _("Problem reported")

    patrol = models.ForeignKey(Patrol, models.CASCADE, related_name="check_ins",
                               verbose_name=_("patrol"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.POINT)
    lng = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    at = models.DateTimeField(_("time"))
    # False when the fix was too coarse to say which road was walked (or lay outside the area).
    counted = models.BooleanField(_("counted for coverage"), default=True)
    grid = models.ForeignKey(Grid, models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("grid"))
    road = models.ForeignKey(Road, models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("road"))
    # The phone's idempotency key: a queued check-in sent twice is recorded once.
    key = models.CharField(_("key"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["patrol", "at"], name="checkin_patrol_time")]
        constraints = [
            models.UniqueConstraint(fields=["patrol", "key"], condition=~Q(key=""),
                                    name="one_check_in_per_key"),
            models.CheckConstraint(
                name="checkin_valid_lng_lat",
                condition=Q(lng__gte=-180, lng__lte=180, lat__gte=-90, lat__lte=90)),
        ]

    def __str__(self) -> str:
        return f"{self.patrol_id} {self.lng:.6f},{self.lat:.6f}"


class PatrolPlace(models.Model):
    """A road or grid a patrol covered, with its first and latest check-in there: the rows the
    coverage counts (one per patrol and place, however many check-ins)."""

    patrol = models.ForeignKey(Patrol, models.CASCADE, related_name="places",
                               verbose_name=_("patrol"))
    road = models.ForeignKey(Road, models.CASCADE, null=True, blank=True,
                             related_name="patrol_visits", verbose_name=_("road"))
    grid = models.ForeignKey(Grid, models.CASCADE, null=True, blank=True,
                             related_name="patrol_visits", verbose_name=_("grid"))
    first_at = models.DateTimeField(_("first check-in"))
    last_at = models.DateTimeField(_("latest check-in"))

    class Meta:
        verbose_name = _("road or grid covered")
        verbose_name_plural = _("roads and grids covered")
        indexes = [
            models.Index(fields=["road", "last_at"], name="visit_road_time",
                         condition=Q(road__isnull=False)),
            models.Index(fields=["grid", "last_at"], name="visit_grid_time",
                         condition=Q(grid__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(name="visit_one_place",
                                   condition=Q(road__isnull=True) ^ Q(grid__isnull=True)),
            models.UniqueConstraint(fields=["patrol", "road"], condition=Q(road__isnull=False),
                                    name="one_visit_per_road"),
            models.UniqueConstraint(fields=["patrol", "grid"], condition=Q(grid__isnull=False),
                                    name="one_visit_per_grid"),
        ]

    def __str__(self) -> str:
        return str(self.road or self.grid)


class PatrolFinding(models.Model):
    """A task reported during a patrol (the patrol's problems found, 主动发现)."""

    patrol = models.ForeignKey(Patrol, models.CASCADE, related_name="findings",
                               verbose_name=_("patrol"))
    task = models.OneToOneField(Task, models.CASCADE, related_name="patrol_finding",
                                verbose_name=_("task"))
    check_in = models.OneToOneField(CheckIn, models.SET_NULL, null=True, blank=True,
                                    related_name="finding", verbose_name=_("check-in"))

    class Meta:
        verbose_name = _("problem found on patrol")
        verbose_name_plural = _("problems found on patrol")

    def __str__(self) -> str:
        return f"{self.patrol_id} → {self.task_id}"


class PatrolAlert(models.Model):
    """A road or grid overdue for a patrol, recorded once per overdue period: the unique row is
    what makes a second run, or a second worker, unable to alert the chief twice. A period is
    one rule interval long, counted from when the place fell due."""

    place_kind = models.CharField(_("place"), max_length=8, choices=PlaceKind.choices)
    road = models.ForeignKey(Road, models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("road"))
    grid = models.ForeignKey(Grid, models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("grid"))
    period_start = models.DateTimeField(_("overdue period from"))
    last_patrolled_at = models.DateTimeField(_("last patrolled"), null=True, blank=True)
    every_hours = models.PositiveIntegerField(_("required every (hours)"))
    created_at = models.DateTimeField(_("alerted at"))

    class Meta:
        verbose_name = _("overdue patrol alert")
        verbose_name_plural = _("overdue patrol alerts")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(name="alert_one_place",
                                   condition=Q(road__isnull=True) ^ Q(grid__isnull=True)),
            models.UniqueConstraint(fields=["road", "period_start"],
                                    condition=Q(road__isnull=False), name="one_road_alert"),
            models.UniqueConstraint(fields=["grid", "period_start"],
                                    condition=Q(grid__isnull=False), name="one_grid_alert"),
        ]

    def __str__(self) -> str:
        return f"{self.road or self.grid} {self.period_start:%Y-%m-%d %H:%M}"

    @property
    def place(self):
        return self.road or self.grid


# Seeded frequencies (DESIGN.md: main roads daily); editable by bureau administrators.
DEFAULT_EVERY_HOURS: dict[str, int] = {PlaceKind.ROAD: 24, PlaceKind.GRID: 48}
