"""The bench city generator at a small size: its tasks are what the services would have left
(it writes with foreign-key triggers off, so these checks stand in for them), and a sweep as of
its instant crosses exactly the crossings it was asked for."""

from __future__ import annotations

import pytest
from django.db import connection

from bench import citygen
from tasks_app import escalation

pytestmark = pytest.mark.django_db(transaction=True)

TASKS, CROSSINGS = 6000, 40


def _one(sql: str) -> int:
    with connection.cursor() as c:
        c.execute(sql)
        return c.fetchone()[0]


@pytest.fixture
def city():
    if connection.vendor != "postgresql":
        pytest.skip("the bench city is PostgreSQL SQL: set DATABASE_URL to PostgreSQL (CI does)")
    citygen.build_reference(grids=120, roads=8, officers=300)
    citygen.build_tasks(TASKS, crossings=CROSSINGS)
    return citygen.summary()


# Each query counts the tasks (or events) that break one rule.
INVALID = [
    ("reference to a missing row", """
        SELECT count(*) FROM tasks_app_task t
        WHERE NOT EXISTS (SELECT 1 FROM gridmgmt_grid g WHERE g.id = t.grid_id)
           OR NOT EXISTS (SELECT 1 FROM tasks_app_category c WHERE c.id = t.category_id)
           OR (t.assignee_id IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM gridmgmt_officer o WHERE o.id = t.assignee_id))
           OR (t.reporter_id IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM auth_user u WHERE u.id = t.reporter_id))
           OR (t.road_id IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM gridmgmt_road r WHERE r.id = t.road_id))
           OR (t.department_id IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM gridmgmt_department d WHERE d.id = t.department_id))
           OR (t.repeat_of_id IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM tasks_app_task p WHERE p.id = t.repeat_of_id))"""),
    ("event of a missing task or actor", """
        SELECT count(*) FROM tasks_app_taskevent e
        WHERE NOT EXISTS (SELECT 1 FROM tasks_app_task t WHERE t.id = e.task_id)
           OR (e.actor_id IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM auth_user u WHERE u.id = e.actor_id))"""),
    ("version other than the number of events", """
        SELECT count(*) FROM tasks_app_task t
        WHERE t.version <> (SELECT count(*) FROM tasks_app_taskevent e WHERE e.task_id = t.id)"""),
    ("event log that does not replay to the status", """
        SELECT count(*) FROM (
          SELECT e.task_id, e.from_status, e.to_status, e.version, t.status, t.version AS last,
                 lag(e.to_status, 1, '') OVER (PARTITION BY e.task_id ORDER BY e.version) AS prev
          FROM tasks_app_taskevent e JOIN tasks_app_task t ON t.id = e.task_id) x
        WHERE x.from_status <> x.prev OR (x.version = x.last AND x.to_status <> x.status)"""),
    ("assignee without dispatch or dispatch without assignee", """
        SELECT count(*) FROM tasks_app_task
        WHERE (assignee_id IS NULL) <> (status IN ('reported', 'void'))
           OR (deadline IS NULL) <> (status IN ('reported', 'void'))"""),
    ("thresholds out of order", """
        SELECT count(*) FROM tasks_app_task
        WHERE NOT (yellow_at <= deadline AND deadline <= level2_at AND level2_at <= level3_at)"""),
    ("repeat of something else", """
        SELECT count(*) FROM tasks_app_task t JOIN tasks_app_task p ON p.id = t.repeat_of_id
        WHERE p.category_id <> t.category_id OR p.reported_at > t.reported_at
           OR t.reported_at - p.reported_at > interval '30 days' OR p.status = 'void'
           OR abs(p.lng - t.lng) > 0.0005 OR abs(p.lat - t.lat) > 0.0005
           OR t.repeat_seq <> p.repeat_seq + 1"""),
    ("point outside its grid", """
        SELECT count(*) FROM tasks_app_task t JOIN gridmgmt_grid g ON g.id = t.grid_id
        WHERE NOT (t.lng BETWEEN (g.boundary->'coordinates'->0->0->>0)::float
                             AND (g.boundary->'coordinates'->0->2->>0)::float
               AND t.lat BETWEEN (g.boundary->'coordinates'->0->0->>1)::float
                             AND (g.boundary->'coordinates'->0->2->>1)::float)"""),
    ("escalation level without its rows", """
        SELECT count(*) FROM tasks_app_task t
        WHERE t.escalation_level <> coalesce(
          (SELECT max(level) FROM tasks_app_escalation x WHERE x.task_id = t.id), -1)"""),
    ("next check on a task whose clock is stopped", """
        SELECT count(*) FROM tasks_app_task
        WHERE next_escalation_at IS NOT NULL AND status NOT IN ('assigned', 'in_progress')"""),
]


def test_the_city_is_valid_and_a_sweep_crosses_exactly_its_crossings(city):
    # One test, one city: building it is the slow part.
    assert city["tasks"] == TASKS
    assert {"closed", "void", "assigned", "in_progress"} <= set(city["status"])
    assert city["status"]["closed"] > 0.8 * TASKS
    assert city["repeats"] > 0.05 * TASKS and city["third_or_later_occurrence"] > 0
    assert city["events"] > 3 * TASKS
    broken = {name: n for name, sql in INVALID if (n := _one(sql))}
    assert broken == {}
    result = escalation.sweep(citygen.reference_now())
    assert sum(result.crossed.values()) == result.crossed[0] == CROSSINGS
    assert escalation.sweep(citygen.reference_now()).crossed == {0: 0, 1: 0, 2: 0, 3: 0}
