"""Where and who: regions, grids, roads, departments, officers, their duties, the calendar."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import geometry


class Region(models.Model):
    class Level(models.TextChoices):
        DISTRICT = "district", _("District")
        STREET = "street", _("Street")
        COMMUNITY = "community", _("Community")

    # Which level a region's parent must have.
    PARENT_LEVEL: ClassVar[dict[str, str]] = {
        Level.STREET: Level.DISTRICT, Level.COMMUNITY: Level.STREET}

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("parent"),
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        expected = self.PARENT_LEVEL.get(self.level)
        if expected is None and self.parent_id:
            raise ValidationError({"parent": _("A district has no parent region.")})
        if expected is not None and (self.parent is None or self.parent.level != expected):
            raise ValidationError({"parent": _("The parent must be a %(level)s.") % {
                "level": Region.Level(expected).label}})


class Grid(models.Model):
    code = models.CharField(_("grid code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(
        Region, models.PROTECT, related_name="grids", limit_choices_to={"level": "community"},
        verbose_name=_("community"),
    )
    boundary = models.JSONField(_("boundary (GeoJSON polygon, WGS-84)"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        try:
            geometry.polygon_from_geojson(self.boundary)
        except ValueError as exc:
            raise ValidationError({"boundary": str(exc)}) from exc


class Road(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    centre_line = models.JSONField(_("centre line (GeoJSON line, WGS-84)"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("road")
        verbose_name_plural = _("roads")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            geometry.line_from_geojson(self.centre_line)
        except ValueError as exc:
            raise ValidationError({"centre_line": str(exc)}) from exc


class Department(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    district = models.ForeignKey(
        Region, models.PROTECT, null=True, blank=True, related_name="departments",
        limit_choices_to={"level": "district"}, verbose_name=_("district"),
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Officer(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="officer", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    department = models.ForeignKey(
        Department, models.SET_NULL, null=True, blank=True, related_name="officers",
        verbose_name=_("department"),
    )

    class Meta:
        verbose_name = _("officer")
        verbose_name_plural = _("officers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    GRID_OFFICER = "grid_officer", _("Grid officer")
    ROAD_CHIEF = "road_chief", _("Road chief")
    COMMUNITY_HEAD = "community_head", _("Community head (first responsible person)")
    STREET_LEADER = "street_leader", _("Street leader")
    DISTRICT_SUPERVISOR = "district_supervisor", _("District supervisor")
    HANDLER = "handler", _("Department handler")
    INSPECTOR = "inspector", _("Inspector")
    # District staff who keep the reference data (places, people, duties, categories, calendars,
    # schemes, campaigns, Open311 clients); held at the district.
    BUREAU_ADMIN = "bureau_admin", _("Bureau administrator")
    # The city's third-party evaluators (第三方测评): their finds are third-party finds.
    EVALUATOR = "evaluator", _("Third-party evaluator")


# Bumped by every change to duties in this process, so what was read of them can be reused
# until they change (tasks_app.authority keeps a user's duties for the life of the user object).
_duty_changes = [0]


def duty_generation() -> int:
    return _duty_changes[0]


def _duties_changed() -> None:
    _duty_changes[0] += 1


class DutyQuerySet(models.QuerySet):
    def valid_at(self, at) -> DutyQuerySet:
        return self.filter(Q(valid_from__lte=at), Q(valid_to__isnull=True) | Q(valid_to__gt=at))

    def update(self, **kwargs) -> int:
        _duties_changed()
        return super().update(**kwargs)

    def delete(self):
        _duties_changed()
        return super().delete()


class Duty(models.Model):
    """An officer's role at one place or department for a period: the record of who was responsible
    when. Closing a duty sets ``valid_to``; rows are never rewritten, so history stays true."""

    # Which target each role is held at.
    TARGET: ClassVar[dict[str, str]] = {
        Role.GRID_OFFICER: "grid",
        Role.ROAD_CHIEF: "road",
        Role.COMMUNITY_HEAD: "region",
        Role.STREET_LEADER: "region",
        Role.DISTRICT_SUPERVISOR: "region",
        Role.HANDLER: "department",
        Role.INSPECTOR: "region",
        Role.BUREAU_ADMIN: "region",
        Role.EVALUATOR: "region",
    }
    REGION_LEVEL: ClassVar[dict[str, str]] = {
        Role.COMMUNITY_HEAD: Region.Level.COMMUNITY,
        Role.STREET_LEADER: Region.Level.STREET,
        Role.DISTRICT_SUPERVISOR: Region.Level.DISTRICT,
        Role.BUREAU_ADMIN: Region.Level.DISTRICT,
    }

    officer = models.ForeignKey(Officer, models.CASCADE, related_name="duties",
                                verbose_name=_("officer"))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(Region, models.PROTECT, null=True, blank=True,
                               related_name="duties", verbose_name=_("region"))
    grid = models.ForeignKey(Grid, models.PROTECT, null=True, blank=True, related_name="duties",
                             verbose_name=_("grid"))
    road = models.ForeignKey(Road, models.PROTECT, null=True, blank=True, related_name="duties",
                             verbose_name=_("road"))
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True,
                                   related_name="duties", verbose_name=_("department"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)

    objects = DutyQuerySet.as_manager()

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        ordering = ["officer__name", "role"]
        indexes = [
            models.Index(fields=["role", "grid"]),
            models.Index(fields=["role", "road"]),
            models.Index(fields=["role", "region"]),
            models.Index(fields=["role", "department"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="duty_one_target",
                condition=(
                    Q(region__isnull=False, grid__isnull=True, road__isnull=True,
                      department__isnull=True)
                    | Q(region__isnull=True, grid__isnull=False, road__isnull=True,
                        department__isnull=True)
                    | Q(region__isnull=True, grid__isnull=True, road__isnull=False,
                        department__isnull=True)
                    | Q(region__isnull=True, grid__isnull=True, road__isnull=True,
                        department__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="duty_period_ordered",
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.officer} · {self.get_role_display()} · {self.target}"

    def save(self, *args, **kwargs) -> None:
        _duties_changed()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _duties_changed()
        return super().delete(*args, **kwargs)

    @property
    def target(self):
        return self.grid or self.road or self.region or self.department

    def clean(self) -> None:
        field = self.TARGET.get(self.role)
        if field is None:
            return
        if getattr(self, f"{field}_id") is None:
            target = self._meta.get_field(field)
            assert isinstance(target, models.ForeignKey)
            raise ValidationError({field: _("This role is held at a %(target)s.") % {
                "target": target.verbose_name}})
        level = self.REGION_LEVEL.get(self.role)
        if level and self.region and self.region.level != level:
            raise ValidationError({"region": _("This role is held at a %(level)s.") % {
                "level": Region.Level(level).label}})


class WorkCalendar(models.Model):
    """Working hours per weekday plus a table of days off and adjusted working days (调休)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_default = models.BooleanField(_("default calendar"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("work calendar")
        verbose_name_plural = _("work calendars")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                    name="one_default_calendar"),
        ]

    def __str__(self) -> str:
        return self.name


class WorkPeriod(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(WorkCalendar, models.CASCADE, related_name="periods")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(name="period_ordered", condition=Q(end__gt=models.F("start"))),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class CalendarDay(models.Model):
    """An exception to the weekly pattern: a public holiday, or a weekend day that is worked."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Day off")
        WORKDAY = "workday", _("Adjusted working day")

    calendar = models.ForeignKey(WorkCalendar, models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_entry_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"
