from __future__ import annotations

from tasks_app import services
from tasks_app.workflow import Status


def test_a_report_in_a_grid_goes_to_its_grid_officer(world):
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=world.category,
                                lng=lng, lat=lat)
    assert task.status == Status.ASSIGNED
    assert task.assignee == world.grid_officer
    assert task.road == world.road
