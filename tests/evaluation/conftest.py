"""The hand-worked month of test_hand_worked_month.py (the story is told in its docstring),
built through the services on a frozen clock; shared with the API and report tests."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gridmgmt.models import Duty, Role
from tasks_app import evaluation, services
from tasks_app.models import Category, Source
from tasks_app.workflow import Status
from tests import factories as f
from tests.gridmgmt.calendars import at, national_day_2026

MONTH = "2026-11"
EVALUATED_AT = at(2026, 12, 1, 9, 0)

# Points inside G1 (120.00-120.01, 30.00-30.01), at least 190 m apart, and two inside G2.
G1 = {
    "p1": (120.001, 30.001), "p2": (120.003, 30.001), "p3": (120.005, 30.001),
    "p4": (120.007, 30.001), "p5": (120.009, 30.001), "p6": (120.001, 30.008),
    "p7": (120.003, 30.008), "p8": (120.005, 30.008), "p9": (120.007, 30.008),
    "p10": (120.009, 30.008), "p11": (120.005, 30.003),
    "p12": (120.002, 30.004),  # 111 m south of 中山路's centre line: not on the road
    "r1": (120.002, 30.005),  # on 中山路 (the world's road, along 30.005 through G1 and G2)
}
G2 = {"u1": (120.013, 30.003), "u2": (120.017, 30.007)}


def photo() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 160, 30)).save(buf, "PNG")
    return SimpleUploadedFile("after.png", buf.getvalue(), content_type="image/png")


@pytest.fixture
def november_tasks(world):
    """Every task of the story, built in order of time (the clock is real again after)."""
    national_day_2026()  # 1-7 October off, 10 October worked
    zd = f.DepartmentFactory(code="ZD", name="城管中队", district=world.district)
    sz = f.DepartmentFactory(code="SZ", name="市政所", district=world.district)
    grid1, grid2 = world.grid_officer, world.other_grid_officer
    grid1.department = grid2.department = zd
    grid1.save()
    grid2.save()
    a = f.CategoryFactory(code="PILE", name="乱堆物料", time_limit=48,
                          time_unit=Category.TimeUnit.HOURS, points=2)
    b = f.CategoryFactory(code="VENDOR", name="占道经营", time_limit=24,
                          time_unit=Category.TimeUnit.HOURS, points=3, high_deduction=True)
    m = f.CategoryFactory(code="BANNER", name="违规横幅", time_limit=24,
                          time_unit=Category.TimeUnit.HOURS, points=1, auto_dispatch=False)
    w = f.CategoryFactory(code="COVER", name="井盖破损", time_limit=2,
                          time_unit=Category.TimeUnit.WORK_DAYS, points=2)
    sup, insp = world.supervisor.user, world.inspector.user
    t = SimpleNamespace(zd=zd, sz=sz, a=a, b=b, m=m, w=w)

    def report(cat, where, source):
        lng, lat = G1.get(where) or G2[where]
        return services.task_report(reporter=insp, category=cat, lng=lng, lat=lat,
                                    source=source)

    def submit(task):
        if task.status == Status.ASSIGNED:
            task = services.task_start(task=task, actor=task.assignee.user)
        return services.task_submit(task=task, actor=task.assignee.user, photos=[photo()])

    def close(task):
        return services.task_verify(task=task, actor=insp, approved=True)

    with time_machine.travel(at(2026, 9, 29, 10, 0), tick=False) as clock:
        def when(*args):
            clock.move_to(at(*args))

        # -- September: fixed before the National Day break ---------------------------------
        t.T00 = report(w, "p12", Source.HOTLINE)
        when(2026, 9, 30, 10, 0)
        t.T00 = submit(t.T00)
        when(2026, 9, 30, 11, 0)
        t.T00 = close(t.T00)
        when(2026, 10, 20, 10, 0)
        # -- October ------------------------------------------------------------------------
        t.T0 = report(a, "p1", Source.PATROL)
        when(2026, 10, 21, 10, 0)
        t.T0 = submit(t.T0)
        when(2026, 10, 21, 11, 0)
        t.T0 = close(t.T0)
        when(2026, 10, 31, 20, 0)
        t.T1 = report(b, "p2", Source.CITIZEN)
        # -- November -----------------------------------------------------------------------
        when(2026, 11, 1, 0, 30)
        t.T2 = report(a, "p3", Source.PATROL)
        when(2026, 11, 2, 9, 0)
        t.T1 = submit(t.T1)
        when(2026, 11, 2, 10, 0)
        t.T1 = close(t.T1)
        t.T2 = submit(t.T2)
        when(2026, 11, 2, 11, 0)
        t.T2 = close(t.T2)
        when(2026, 11, 3, 10, 0)
        t.T3 = report(a, "p1", Source.PATROL)
        when(2026, 11, 4, 10, 0)
        t.T3 = submit(t.T3)
        t.U1 = report(a, "u1", Source.HOTLINE)
        when(2026, 11, 4, 12, 0)
        t.T3 = services.task_verify(task=t.T3, actor=insp, approved=False, note="未清理干净")
        when(2026, 11, 5, 10, 0)
        t.U1 = submit(t.U1)
        when(2026, 11, 5, 11, 0)
        t.T3 = submit(t.T3)
        t.U1 = close(t.U1)
        when(2026, 11, 5, 11, 30)
        t.T3 = close(t.T3)
        when(2026, 11, 6, 10, 0)
        t.T4 = report(a, "p1", Source.THIRD_PARTY)
        when(2026, 11, 9, 10, 0)
        t.T5 = report(b, "p4", Source.CITY_INSPECTION)
        when(2026, 11, 9, 10, 30)
        # The third occurrence escalated to level 2, which needs a plan to start (一套方案).
        t.T4 = services.task_start(task=t.T4, actor=grid1.user, plan="清运堆物，三日内复查")
        when(2026, 11, 9, 11, 0)
        t.T5 = services.task_start(task=t.T5, actor=grid1.user)
        when(2026, 11, 9, 12, 0)
        t.T5 = services.task_hold(task=t.T5, actor=sup, reason="等待产权单位确认")
        when(2026, 11, 11, 12, 0)
        t.T5 = services.task_resume(task=t.T5, actor=sup)
        when(2026, 11, 12, 9, 0)
        t.T5 = submit(t.T5)
        when(2026, 11, 12, 9, 30)
        t.T5 = close(t.T5)
        when(2026, 11, 10, 10, 0)
        t.T4 = submit(t.T4)
        when(2026, 11, 10, 11, 0)
        t.T4 = close(t.T4)
        when(2026, 11, 12, 10, 0)
        t.T6 = report(a, "p5", Source.PATROL)
        when(2026, 11, 13, 10, 0)
        t.T8 = report(a, "p7", Source.PATROL)
        t.T6 = services.task_request_extension(task=t.T6, actor=grid1.user,
                                               until=at(2026, 11, 20, 10, 0), reason="需协调物业")
        when(2026, 11, 13, 11, 0)
        t.T6 = services.task_decide_extension(task=t.T6, actor=sup, approved=True)
        # The duty change: G1's grid officer hands over to grid1b, who is in 市政所; grid1
        # himself moves to 市政所 the same night but keeps the tasks he already has.
        when(2026, 11, 15, 0, 0)
        Duty.objects.filter(officer=grid1, role=Role.GRID_OFFICER).update(
            valid_to=at(2026, 11, 15, 0, 0))
        grid1.department = sz
        grid1.save()
        t.grid1b = f.OfficerFactory(user=f.UserFactory(username="grid1b"), name="grid1b",
                                    department=sz)
        f.DutyFactory(officer=t.grid1b, role=Role.GRID_OFFICER, grid=world.grid1,
                      valid_from=at(2026, 11, 15, 0, 0))
        when(2026, 11, 15, 9, 0)
        t.T8 = submit(t.T8)
        when(2026, 11, 16, 10, 0)
        t.T8 = close(t.T8)
        t.T7 = report(a, "p6", Source.PATROL)
        when(2026, 11, 18, 10, 0)
        t.U2 = report(b, "u2", Source.PATROL)
        when(2026, 11, 19, 10, 0)
        t.T7 = submit(t.T7)
        t.T6 = submit(t.T6)
        when(2026, 11, 19, 11, 0)
        t.T7 = close(t.T7)
        t.T6 = close(t.T6)
        when(2026, 11, 20, 10, 0)
        t.T9 = report(b, "p8", Source.CITIZEN)
        t.U2 = submit(t.U2)
        when(2026, 11, 20, 11, 0)
        t.U2 = close(t.U2)
        when(2026, 11, 21, 9, 0)
        t.T9 = submit(t.T9)
        when(2026, 11, 23, 10, 0)
        t.T13 = report(a, "r1", Source.INSPECTOR)
        when(2026, 11, 25, 10, 0)
        t.T10 = report(m, "p9", Source.CITIZEN)
        when(2026, 11, 25, 11, 0)
        t.T10 = services.task_void(task=t.T10, actor=sup, reason="不属于城管职责")
        when(2026, 11, 26, 10, 0)
        t.T12 = report(b, "p11", Source.HOTLINE)
        when(2026, 11, 26, 14, 0)
        t.T12 = services.task_hold(task=t.T12, actor=sup, reason="待汛期结束")
        when(2026, 11, 30, 10, 0)
        t.T11 = report(a, "p10", Source.PATROL)
        # -- December, before the evaluation is read: T11 changes hands (and department) ----
        when(2026, 12, 1, 8, 0)
        t.T11 = services.task_assign(task=t.T11, actor=sup, assignee=grid2,
                                     note="交西片网格员处理")
    t.world = world
    return t


@pytest.fixture
def november(november_tasks):
    """The story's evaluation, read on the 1st of December at 09:00 as the report job would."""
    t = november_tasks
    with time_machine.travel(EVALUATED_AT, tick=False):
        t.streets = {r.name: r for r in evaluation.evaluate(MONTH, "street")}
        t.departments = {r.name: r for r in evaluation.evaluate(MONTH, "department")}
        t.communities = {r.name: r for r in evaluation.evaluate(MONTH, "community")}
        t.grids = {r.name: r for r in evaluation.evaluate(MONTH, "grid")}
        t.october = {r.name: r for r in evaluation.evaluate("2026-10", "street")}
        t.october_departments = {r.name: r for r in evaluation.evaluate("2026-10",
                                                                        "department")}
        t.september = {r.name: r for r in evaluation.evaluate("2026-09", "street")}
        t.roads = {r.name: r for r in evaluation.evaluate(MONTH, "road")}
    return t


@pytest.fixture(autouse=True)
def _messages_in_english():
    """Refusals raised outside a request speak the active language (zh-hans by default); these
    tests match their English wording. Pages and mail pick their own language as in production
    (the request's user, the recipient), whatever is active here."""
    from django.utils import translation

    with translation.override("en"):
        yield
