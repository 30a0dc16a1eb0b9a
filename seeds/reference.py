"""Reference data: places, people and their duties, departments, categories, the calendar.

Everything is get-or-create by its natural key, so a second run adds nothing and never overwrites
what an operator changed in the admin since (a category's time limit, a user's password).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from gridmgmt.models import (
    Department,
    Duty,
    Grid,
    Officer,
    Region,
    Road,
    Role,
    WorkCalendar,
    WorkPeriod,
)
from gridmgmt.services import calendar_fill_from_holidays
from gridmgmt.worktime import DEFAULT_PERIODS
from tasks_app.authority import REFERENCE_DELETABLE, REFERENCE_MODELS
from tasks_app.models import Campaign, Category, Open311Client, Source

from . import data, geo

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SUPERVISOR_GROUP = "督导组"
BUREAU_ADMIN_GROUP = "局管理员"
DEFAULT_PASSWORD = "demo12345"


@dataclass
class Login:
    username: str
    role: str


@dataclass
class Reference:
    district: Region
    logins: list[Login] = field(default_factory=list)
    created_users: int = 0
    # Open311 clients created by this run and their API keys (shown once, like a new password).
    api_keys: list[tuple[str, StrOrPromise, str]] = field(default_factory=list)


def duties_since(now: datetime) -> datetime:
    # Before every replayed task, so the record shows each duty holding when the task was open.
    tz = ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(now.date().replace(year=now.year - 1, month=1, day=1), time(), tz)


class _Loader:
    def __init__(self, *, password: str, now: datetime) -> None:
        self.password = password
        self.valid_from = duties_since(now)
        self.now = now
        self.created_users = 0
        self.logins: list[Login] = []
        self.serial = 0
        self.password_hash: str | None = None

    # -- people ---------------------------------------------------------------------------------
    def user(self, username: str, *, staff: bool = False, superuser: bool = False):
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@example.org", "is_staff": staff or superuser,
                      "is_superuser": superuser},
        )
        if created:
            # Hashing is deliberately slow (PBKDF2); one hash shared by all demo users keeps the
            # load fast, and they share the one published demo password anyway.
            if self.password_hash is None:
                self.password_hash = make_password(self.password)
            user.password = self.password_hash
            user.save(update_fields=["password"])
            self.created_users += 1
        return user

    def officer(self, username: str, name: str, role_label: str, *, group: Group | None = None,
                department: Department | None = None) -> Officer:
        self.serial += 1
        user = self.user(username, staff=group is not None)
        if group is not None:
            user.groups.add(group)
        officer, _ = Officer.objects.get_or_create(
            user=user,
            defaults={
                "name": name,
                # Local numbers never start with 0, so this one can belong to nobody.
                "phone": f"0571-0000{self.serial:04d}",
                "email": f"{username}@example.org",
                # The demo's officers read Chinese; each may switch to English (language.py).
                "language": "zh-hans",
                "department": department,
            },
        )
        self.logins.append(Login(username, role_label))
        return officer

    def duty(self, officer: Officer, role: str, **target) -> None:
        Duty.objects.get_or_create(officer=officer, role=role, valid_to=None, **target,
                                   defaults={"valid_from": self.valid_from})

    # -- the whole set ----------------------------------------------------------------------------
    def load(self) -> Reference:
        supervisors, bureau_admins = self._groups()
        district, _ = Region.objects.get_or_create(
            code=data.DISTRICT[0], defaults={"name": data.DISTRICT[1],
                                             "level": Region.Level.DISTRICT})
        streets = {code: Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": Region.Level.STREET, "parent": district})[0]
            for code, name, *_ in data.STREETS}
        communities = {code: Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": Region.Level.COMMUNITY,
                                 "parent": streets[street]})[0]
            for code, name, street, *_ in data.COMMUNITIES}
        grids = self._grids(communities)
        roads = [Road.objects.get_or_create(code=code, defaults={
            "name": name, "centre_line": geo.road_line(points)})[0]
            for code, name, points in data.ROADS]
        departments = {code: Department.objects.get_or_create(
            code=code, defaults={"name": name, "district": district})[0]
            for code, name in data.DEPARTMENTS}
        self._categories(departments)
        self._calendar()

        self.user("admin", superuser=True)
        self.logins.append(Login("admin", "superuser (not an officer)"))
        for username, name in data.BUREAU_ADMINS:
            o = self.officer(username, name, "bureau administrator: console, edits reference data",
                             group=bureau_admins)
            self.duty(o, Role.BUREAU_ADMIN, region=district)
        for username, name in data.SUPERVISORS:
            o = self.officer(username, name, "district supervisor: console, the district's tasks",
                             group=supervisors)
            self.duty(o, Role.DISTRICT_SUPERVISOR, region=district)
        for code, _name, username, name in data.STREETS:
            o = self.officer(username, name,
                             f"street leader, {streets[code].name}: console, its tasks",
                             group=supervisors)
            self.duty(o, Role.STREET_LEADER, region=streets[code])
        for n, ((code, *_), name) in enumerate(
                zip(data.COMMUNITIES, data.COMMUNITY_HEADS, strict=True), 1):
            o = self.officer(f"commhead{n:02d}", name,
                             f"community head, {communities[code].name}")
            self.duty(o, Role.COMMUNITY_HEAD, region=communities[code])
        self._grid_officers(grids)
        for n, name in enumerate(data.ROAD_CHIEFS, 1):
            mine = roads[(n - 1) * 2:n * 2]  # two roads each
            o = self.officer(f"roadchief{n:02d}", name,
                             "road chief, " + "、".join(r.name for r in mine))
            for road in mine:
                self.duty(o, Role.ROAD_CHIEF, road=road)
        for username, name, dept in data.HANDLERS:
            o = self.officer(username, name, f"handler, {departments[dept].name}",
                             department=departments[dept])
            self.duty(o, Role.HANDLER, department=departments[dept])
        regions = {district.code: district, **streets}
        for username, name, region in data.INSPECTORS:
            label = "third-party inspector" if username == data.THIRD_PARTY_INSPECTOR \
                else "inspector"
            o = self.officer(username, name, f"{label}, {regions[region].name}")
            self.duty(o, Role.INSPECTOR, region=regions[region])
            if username == data.THIRD_PARTY_INSPECTOR:
                # The evaluator's own finds are third-party finds (authority.report_sources).
                self.duty(o, Role.EVALUATOR, region=regions[region])
        self._campaigns(departments, streets)
        return Reference(district=district, logins=self.logins,
                         created_users=self.created_users, api_keys=self._open311_clients())

    def _open311_clients(self) -> list[tuple[str, StrOrPromise, str]]:
        """The systems that file others' finds through Open311: the 12345 hotline and the city's
        third-party evaluation platform. Their source is fixed here by the bureau, never by
        what they post (authority.report_sources, channel open311)."""
        issued: list[tuple[str, StrOrPromise, str]] = []
        for name, source in data.OPEN311_CLIENTS:
            client = Open311Client.objects.filter(name=name).first()
            if client is None:
                client = Open311Client(name=name, source=source)
                key = client.issue_key()
                client.save()
                issued.append((name, Source(source).label, key))
        return issued

    def _grids(self, communities: dict[str, Region]) -> dict[str, list[Grid]]:
        verts = geo.vertices()
        out: dict[str, list[Grid]] = {}
        n = 0
        for code, name, _street, (c0, c1), (r0, r1) in data.COMMUNITIES:
            for k, (col, row) in enumerate(
                    ((c, r) for r in range(r0, r1) for c in range(c0, c1)), 1):
                n += 1
                grid, _ = Grid.objects.get_or_create(
                    code=f"SFQ-G{n:03d}",
                    defaults={"name": f"{name}第{k}网格", "community": communities[code],
                              "boundary": geo.cell_polygon(verts, col, row)},
                )
                out.setdefault(code, []).append(grid)
        return out

    def _grid_officers(self, grids: dict[str, list[Grid]]) -> None:
        # Two grid officers per community, each holding about half of its grids.
        names = iter(data.GRID_OFFICERS)
        n = 0
        for code, *_ in data.COMMUNITIES:
            mine = grids[code]
            half = (len(mine) + 1) // 2
            for part in (mine[:half], mine[half:]):
                n += 1
                o = self.officer(f"grid{n:02d}", next(names),
                                 "grid officer, " + ", ".join(g.code for g in part))
                for grid in part:
                    if grid is self._gap_grid(grids):
                        continue
                    self.duty(o, Role.GRID_OFFICER, grid=grid)
        self._staffing_gap(grids)

    @staticmethod
    def _gap_grid(grids: dict[str, list[Grid]]) -> Grid:
        return grids[data.COMMUNITIES[-1][0]][-1]

    def _staffing_gap(self, grids: dict[str, list[Grid]]) -> None:
        """One staffing gap (网格员未到位): the last grid's officer left a week ago and nobody
        has taken it over, so the dashboard and the street leader's digest list it."""
        grid = self._gap_grid(grids)
        officer = Officer.objects.filter(duties__role=Role.GRID_OFFICER,
                                         duties__grid__community=grid.community).first()
        if officer is not None:
            Duty.objects.get_or_create(officer=officer, role=Role.GRID_OFFICER, grid=grid,
                                       defaults={"valid_from": self.valid_from,
                                                 "valid_to": self.now - timedelta(days=7)})

    def _categories(self, departments: dict[str, Department]) -> None:
        for cat in data.CATEGORIES:
            Category.objects.get_or_create(code=cat.code, defaults={
                "name": cat.name, "kind": cat.kind, "time_limit": Decimal(cat.limit),
                "time_unit": cat.unit, "points": Decimal(cat.points),
                "high_deduction": cat.high_deduction,
                "default_department": departments[cat.department] if cat.department else None,
                "auto_dispatch": cat.auto_dispatch,
                # High-deduction problems need a written plan and a before photo to start.
                "plan_required": cat.high_deduction,
                "before_photo_required": cat.high_deduction,
            })

    def _calendar(self) -> None:
        has_default = WorkCalendar.objects.filter(is_default=True).exists()
        cal, created = WorkCalendar.objects.get_or_create(
            name=data.CALENDAR_NAME, defaults={"is_default": not has_default})
        if created:
            WorkPeriod.objects.bulk_create(
                [WorkPeriod(calendar=cal, weekday=wd, start=s, end=e)
                 for wd in range(5) for s, e in DEFAULT_PERIODS]
            )
        year = self.now.year
        calendar_fill_from_holidays(calendar=cal, years=[year - 1, year, year + 1])

    def _campaigns(self, departments: dict[str, Department],
                   streets: dict[str, Region]) -> None:
        today = self.now.date()
        for name, lead, coop, cats, ago, length in data.CAMPAIGNS:
            start = today.fromordinal(today.toordinal() - ago)
            campaign, created = Campaign.objects.get_or_create(name=name, defaults={
                "lead_department": departments[lead], "starts_on": start,
                "deadline": start.fromordinal(start.toordinal() + length),
                "description": f"{name}，为期{length}天。",
            })
            if created:
                campaign.cooperating_departments.set([departments[c] for c in coop])
                campaign.categories.set(Category.objects.filter(code__in=cats))
                campaign.streets.set(streets.values())

    def _groups(self) -> tuple[Group, Group]:
        """The least each console role needs; authority still decides on top of them (duties,
        area, nobody editing their own scope or score). Permissions are set when a group is made
        and never overwritten after, so an operator's changes stay."""
        return (_group(SUPERVISOR_GROUP, supervisor_permissions()),
                _group(BUREAU_ADMIN_GROUP, bureau_admin_permissions()))


def _group(name: str, permissions) -> Group:
    group, created = Group.objects.get_or_create(name=name)
    if created:
        group.permissions.set(permissions)
    return group


# The apps whose rows the console's groups read (patrols: frequencies, patrols, alerts).
CONSOLE_APPS = ["gridmgmt", "tasks_app", "patrols"]


def _perm(action: str, model) -> Q:
    return Q(content_type__app_label=model._meta.app_label,
             codename=f"{action}_{model._meta.model_name}")


def supervisor_permissions():
    """督导组: street leaders and district supervisors read tasks, their records and reference
    data; they act on tasks through the workbench's services, which ask authority, and edit no
    row directly."""
    return Permission.objects.filter(content_type__app_label__in=CONSOLE_APPS,
                                     codename__startswith="view_")


def bureau_admin_permissions():
    """局管理员: read what supervisors read; add and change reference data; delete only the rows
    nothing else records (a calendar's days and periods, a category's Open311 questions)."""
    edits = Q(pk__in=[])
    for model in REFERENCE_MODELS:
        edits |= _perm("add", model) | _perm("change", model)
    for model in REFERENCE_DELETABLE:
        edits |= _perm("delete", model)
    return Permission.objects.filter(
        Q(content_type__app_label__in=CONSOLE_APPS, codename__startswith="view_")
        | edits)


def load_reference(*, password: str = DEFAULT_PASSWORD, now: datetime) -> Reference:
    return _Loader(password=password, now=now).load()
