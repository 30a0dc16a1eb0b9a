"""Optimistic concurrency: a caller that read an older (or unknown) version of the task is told
``stale_version`` and changes nothing; the current version goes through."""

from __future__ import annotations

import pytest

from tasks_app import services

from .changes import CHANGES, prepare
from .conftest import assert_refused


@pytest.mark.parametrize("offset", [-1, 1])
@pytest.mark.parametrize("name", list(CHANGES))
def test_a_stale_expected_version_is_refused_and_changes_nothing(flow, user_for, name, offset):
    task = prepare(flow, name)
    _, _, persona, call = CHANGES[name]
    actor = user_for(persona)

    error = assert_refused(task, "stale_version",
                           lambda: call(flow, task, actor, task.version + offset))
    assert error.extra["version"] == task.version


def test_a_second_writer_with_the_same_version_loses(flow):
    task = flow.drive("assigned")
    seen = task.version
    flow.step("start", task)  # another writer gets there first

    assert_refused(task, "stale_version", lambda: services.task_hold(
        task=task, actor=flow.w.supervisor.user, reason="挂账", expected_version=seen))
