"""An October in the persona world (tests/conftest.py) for publishing and the review meeting,
built through the services on a frozen clock, and published on the 5th of November by a bureau
administrator:

* in 东街道 (S1, grid G1): ``first`` fixed on time with before and after photos; ``late``
  closed late on the 28th with before and after photos; ``again``, a repeat at ``first``'s place,
  still open (overdue) at the month's end;
* in 西街道 (S2, grid G2): ``west`` fixed on time.
"""

from __future__ import annotations

import pytest
import time_machine

from gridmgmt.models import Role
from tasks_app import evaluation_services, services
from tests import factories as f
from tests.evaluation.conftest import photo
from tests.gridmgmt.calendars import at

MONTH = "2026-10"
MEETING = at(2026, 11, 5, 10, 0)


def bureau_admin(world, username: str = "bureau"):
    user = f.UserFactory(username=username, is_staff=True)
    officer = f.OfficerFactory(user=user, name="局管理员")
    f.DutyFactory(officer=officer, role=Role.BUREAU_ADMIN, region=world.district,
                  valid_from=at(2025, 1, 1, 0, 0))
    return user


def staff(officer):
    officer.user.is_staff = True
    officer.user.save()
    return officer.user


def _fixed(world, task, officer):
    task = services.task_start(task=task, actor=officer.user)
    task = services.task_submit(task=task, actor=officer.user, photos=[photo()])
    return services.task_verify(task=task, actor=world.inspector.user, approved=True)


def _october(world):
    w = world
    w.bureau = bureau_admin(w)
    lng, lat = w.point_g1
    report = services.task_report
    with time_machine.travel(at(2026, 10, 12, 10, 0), tick=False) as clock:
        w.first = report(reporter=w.inspector.user, category=w.category, lng=lng, lat=lat,
                         photos=[photo()])
        clock.move_to(at(2026, 10, 12, 11, 0))
        w.first = _fixed(w, w.first, w.grid_officer)
        clock.move_to(at(2026, 10, 14, 10, 0))
        w.late = report(reporter=w.inspector.user, category=w.category, lng=120.008,
                        lat=30.008, photos=[photo()])
        clock.move_to(at(2026, 10, 15, 10, 0))
        west_lng, west_lat = w.point_g2
        w.west = report(reporter=w.inspector.user, category=w.category, lng=west_lng,
                        lat=west_lat)
        clock.move_to(at(2026, 10, 15, 11, 0))
        w.west = _fixed(w, w.west, w.other_grid_officer)
        clock.move_to(at(2026, 10, 20, 10, 0))
        w.again = report(reporter=w.inspector.user, category=w.category, lng=lng, lat=lat,
                         photos=[photo()])
        clock.move_to(at(2026, 10, 28, 10, 0))
        w.late = _fixed(w, w.late, w.grid_officer)
    assert w.late.closed_late and w.again.repeat_of_id == w.first.pk
    return w


@pytest.fixture
def october_tasks(world):
    """The story's October, not published."""
    return _october(world)


@pytest.fixture
def october_story(world):
    """The story's October, published at the meeting."""
    w = _october(world)
    with time_machine.travel(MEETING, tick=False):
        w.publication = evaluation_services.evaluation_publish(month=MONTH, actor=w.bureau)
    return w
