"""Every writing service on an existing task, with the state it needs and the person who may call
it, for tests that hold for all of them (one event each, stale versions refused)."""

from __future__ import annotations

from collections.abc import Callable

from tasks_app import services
from tasks_app.models import Photo, Task

from .conftest import Flow, photo


def _task(result) -> Task:
    return Task.objects.get(pk=result.task_id) if isinstance(result, Photo) else result


# name: (recipe, extra steps, actor persona, call(flow, task, actor, expected_version))
CHANGES: dict[str, tuple[str, tuple[str, ...], str, Callable]] = {
    "assign": ("reported", (), "supervisor", lambda fl, t, a, v: services.task_assign(
        task=t, actor=a, assignee=fl.w.grid_officer, expected_version=v)),
    "reassign": ("in_progress", (), "street_leader", lambda fl, t, a, v: services.task_assign(
        task=t, actor=a, assignee=fl.w.handler, expected_version=v)),
    "start": ("assigned", (), "grid_officer", lambda fl, t, a, v: services.task_start(
        task=t, actor=a, expected_version=v)),
    "submit": ("in_progress", (), "grid_officer", lambda fl, t, a, v: services.task_submit(
        task=t, actor=a, photos=[photo()], expected_version=v)),
    "approve": ("submitted", (), "inspector", lambda fl, t, a, v: services.task_verify(
        task=t, actor=a, approved=True, expected_version=v)),
    "refuse": ("submitted", (), "inspector", lambda fl, t, a, v: services.task_verify(
        task=t, actor=a, approved=False, note="返工", expected_version=v)),
    "request_extension": ("in_progress", (), "grid_officer",
                          lambda fl, t, a, v: services.task_request_extension(
                              task=t, actor=a, until=t.deadline.replace(year=2027),
                              reason="等待", expected_version=v)),
    "approve_extension": ("in_progress", ("request_extension",), "supervisor",
                          lambda fl, t, a, v: services.task_decide_extension(
                              task=t, actor=a, approved=True, expected_version=v)),
    "refuse_extension": ("in_progress", ("request_extension",), "supervisor",
                         lambda fl, t, a, v: services.task_decide_extension(
                             task=t, actor=a, approved=False, note="不批", expected_version=v)),
    "hold": ("assigned", (), "supervisor", lambda fl, t, a, v: services.task_hold(
        task=t, actor=a, reason="挂账", expected_version=v)),
    "resume": ("on_hold", (), "supervisor", lambda fl, t, a, v: services.task_resume(
        task=t, actor=a, expected_version=v)),
    "void": ("reported", (), "supervisor", lambda fl, t, a, v: services.task_void(
        task=t, actor=a, reason="不予立案", expected_version=v)),
    "add_photo": ("in_progress", (), "grid_officer", lambda fl, t, a, v: _task(
        services.task_add_photo(task=t, actor=a, image=photo(), expected_version=v))),
}


def prepare(flow: Flow, name: str) -> Task:
    recipe, extra, _, _ = CHANGES[name]
    task = flow.drive(recipe)
    for step in extra:
        flow.tick()
        task = flow.step(step, task)
    flow.tick()
    return task
