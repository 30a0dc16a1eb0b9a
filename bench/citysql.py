"""The SQL that shapes a city's tasks (see citygen.py for what the city looks like).

Every random choice is a hash of the task's number (``bench_u(i, salt)`` in [0, 1)), so the same
size gives the same city, and a repeat can take its category and place from the task it repeats.
Task i repeats task i - 1 when i mod 25 is 1 or 2 (chains of three, a few days apart).

A task's fate is drawn first (how long its fix takes, as a share of the category's time
limit; whether it is void, stuck, reworked, extended), and its state follows from where
``now`` falls on that timeline: closed, waiting for verification, in progress, not started yet,
or not yet dispatched. Lights and ladder levels are those of the last moment its clock ran.
"""

from __future__ import annotations

from datetime import datetime

from bench import citygen

# Relative frequency of each demo category in a city's reports.
WEIGHTS = {
    "GARBAGE_OVERFLOW": 12, "EXPOSED_GARBAGE": 10, "GRAFFITI": 8, "ILLEGAL_ADS": 5,
    "ROAD_DUST": 4, "DEAD_CORNER": 5, "GREENERY_DAMAGE": 3, "RIVER_DEBRIS": 2,
    "STREET_VENDING": 10, "SHARED_BIKES": 9, "ILLEGAL_PARKING": 8, "SHOP_SIGN": 3,
    "OUTSIDE_SHOP": 6, "CONSTRUCTION_WASTE": 2, "ILLEGAL_CONSTRUCTION": 2, "OTHER": 4,
    "MANHOLE_MISSING": 0.5, "MANHOLE_DAMAGED": 1, "STREET_LIGHT": 2, "ROAD_DAMAGE": 1.5,
    "GUARDRAIL": 1, "TRASH_BIN": 1, "ROAD_SIGN": 0.5, "STORM_DRAIN": 1, "FALLEN_TREE": 0.5,
}
# A time limit as natural hours on a task's timeline: working hours stretch over nights and
# weekends, working days over weekends.
SPAN_HOURS = {"work_hours": 3.0, "work_days": 24 * 1.4, "hours": 1.0}


def parameters(*, total: int, crossings: int, now: datetime) -> dict:
    from django.db.models import F

    from gridmgmt.models import Department, Duty, Grid, Officer, Road, Role
    from seeds import data
    from tasks_app.models import Category

    on_road = {c.code: c.on_road for c in data.CATEGORIES}
    cats = list(Category.objects.order_by("code"))
    depts = list(Department.objects.order_by("code"))
    dept_slot = {d.pk: i + 1 for i, d in enumerate(depts)}
    handlers = []
    for d in depts:
        ids = list(Officer.objects.filter(department=d).order_by("pk").values_list("pk",
                                                                                  flat=True))
        handlers += (ids * citygen.HANDLERS_PER_DEPT)[:citygen.HANDLERS_PER_DEPT]
    grids = list(Grid.objects.order_by("code").values_list("pk", flat=True))
    officer_of_grid = dict(Duty.objects.filter(role=Role.GRID_OFFICER).values_list(
        "grid_id", "officer_id"))
    user_of_officer = dict(Officer.objects.values_list("pk", "user_id"))
    inspectors = list(Duty.objects.filter(role=Role.INSPECTOR).order_by("officer_id")
                      .values_list("officer__user_id", flat=True))
    supervisor = Duty.objects.filter(role=Role.DISTRICT_SUPERVISOR).order_by("officer_id") \
        .values_list(F("officer__user_id"), flat=True).first()
    segs, seg_cols = citygen.road_layout(len(grids), Road.objects.count())
    weights = [WEIGHTS.get(c.code, 1.0) for c in cats]
    pick, acc, total_w = [], 0.0, sum(weights)
    for idx, w in enumerate(weights, start=1):
        acc += w
        while len(pick) < round(1000 * acc / total_w):
            pick.append(idx)
    return {
        "total": total, "crossings": crossings, "now": now, "days": citygen.days_for(total),
        "cols": citygen.GRID_COLS, "cell": citygen.CELL, "ox": citygen.ORIGIN[0],
        "oy": citygen.ORIGIN[1], "ngrids": len(grids), "segs": segs, "segcols": seg_cols,
        "cat_pick": pick, "cat_id": [c.pk for c in cats],
        "cat_span": [float(c.time_limit) * SPAN_HOURS[c.time_unit] for c in cats],
        "cat_auto": [c.auto_dispatch for c in cats],
        "cat_road": [on_road.get(c.code, False) for c in cats],
        "cat_dept": [dept_slot.get(c.default_department_id, 0) for c in cats],
        "dept_id": [d.pk for d in depts] or [0], "handler_id": handlers or [0],
        "nh": citygen.HANDLERS_PER_DEPT, "grid_id": grids,
        "go_id": [officer_of_grid[g] for g in grids],
        "go_user": [user_of_officer[officer_of_grid[g]] for g in grids],
        "road_id": list(Road.objects.order_by("code").values_list("pk", flat=True)),
        "insp_user": inspectors, "ninsp": len(inspectors), "sup_user": supervisor,
        **_patterns(),
    }


def _patterns() -> dict:
    """Each (dispatch kind, status, extended, reworked) → the events the services would have
    written: kinds, from and to statuses, and when (a letter naming a task timestamp)."""
    keys, kinds, froms, tos, whens = [], [], [], [], []

    def add(key: str, steps: list[tuple[str, str, str, str]]) -> None:
        keys.append(key)
        kinds.append(",".join(s[0] for s in steps))
        froms.append(",".join(s[1] for s in steps))
        tos.append(",".join(s[2] for s in steps))
        whens.append(",".join(s[3] for s in steps))

    for dispatch in ("auto", "manual"):
        add(f"{dispatch}|reported|0|0", [("reported", "", "reported", "r")])
        add(f"{dispatch}|void|0|0", [("reported", "", "reported", "r"),
                                     ("voided", "reported", "void", "v")])
        head = [("reported", "", "assigned", "r")] if dispatch == "auto" else [
            ("reported", "", "reported", "r"), ("assigned", "reported", "assigned", "d")]
        started = [*head, ("started", "assigned", "in_progress", "s")]
        add(f"{dispatch}|assigned|0|0", head)
        add(f"{dispatch}|in_progress|0|0", started)
        add(f"{dispatch}|on_hold|0|0", [*started, ("held", "in_progress", "on_hold", "h")])
        add(f"{dispatch}|submitted|0|0",
            [*started, ("submitted", "in_progress", "submitted", "u")])
        for ext in (0, 1):
            for rework in (0, 1):
                steps = list(started)
                if ext:
                    steps += [("extension_requested", "in_progress", "in_progress", "x"),
                              ("extension_approved", "in_progress", "in_progress", "y")]
                if rework:
                    steps += [("submitted", "in_progress", "submitted", "p"),
                              ("rework", "submitted", "in_progress", "w")]
                steps += [("submitted", "in_progress", "submitted", "u"),
                          ("approved", "submitted", "closed", "c")]
                add(f"{dispatch}|closed|{ext}|{rework}", steps)
    return {"pat_key": keys, "pat_kinds": kinds, "pat_from": froms, "pat_to": tos,
            "pat_when": whens}


# Each step of the city is materialised: inlined, its expressions would be copied into every
# later use, and the planner (and JIT) would drown in one enormous expression.
_SETTINGS = "SET LOCAL jit = off"
# The generator keeps every reference valid (checked in the bench tests at a small size), so
# foreign-key triggers are skipped while it writes: at commit, checking five million deferred
# references would take longer than writing them. Needs a superuser, as the bench database has.
_NO_TRIGGERS = "SET LOCAL session_replication_role = replica"

_TRUNCATE = "TRUNCATE tasks_app_task RESTART IDENTITY CASCADE"

_HASH = """
CREATE OR REPLACE FUNCTION pg_temp.bench_u(x bigint, salt int) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS 'SELECT (hashint8(x * 131 + salt) & 2147483647)::float8 / 2147483648.0'
"""

_TASKS = """
INSERT INTO tasks_app_task (
  id, code, category_id, source, title, description, lng, lat, address, grid_id, road_id,
  reporter_id, status, assignee_id, department_id, plan, plan_required, fixed_on_spot,
  dispatched_at, deadline,
  yellow_at, level2_at, level3_at, next_escalation_at, light, escalation_level, supervised,
  repeat_of_id, repeat_seq, rework_count, extension_count, hold_started_at, hold_from_status,
  held_seconds, version, reported_at, started_at, submitted_at, closed_at, closed_late,
  updated_at)
WITH s AS (
  SELECT i, CASE WHEN mod(i, 25) IN (1, 2) THEN mod(i, 25)::int ELSE 0 END AS k
  FROM generate_series(1, %(total)s::bigint) AS i
), a AS (
  SELECT i, k, %(days)s * (%(total)s - (i - k) + 0.5) / %(total)s AS head_age,
         %(days)s * (%(total)s - i + 0.5) / %(total)s AS own_age,
         1 + 9 * pg_temp.bench_u(i - k, 1) AS gap
  FROM s
), r AS (
  SELECT a.*, (k > 0 AND i > k AND head_age - k * gap > 0.05) AS rep FROM a
), b AS MATERIALIZED (
  SELECT i, k, rep, CASE WHEN rep THEN head_age - k * gap ELSE own_age END AS age,
         CASE WHEN rep THEN i - k ELSE i END AS pos
  FROM r
), c AS (
  SELECT b.*, (%(cat_pick)s::int[])[1 + floor(1000 * pg_temp.bench_u(pos, 2))::int] AS cx,
         floor(%(ngrids)s * pg_temp.bench_u(pos, 3))::int AS g,
         pg_temp.bench_u(pos, 4) AS u_road, pg_temp.bench_u(pos, 5) AS u_x,
         pg_temp.bench_u(pos, 6) AS u_y
  FROM b
), d AS (
  SELECT c.*, mod(g, %(cols)s) AS col, g / %(cols)s AS row_,
         (%(cat_road)s::bool[])[cx] AND u_road < 0.6 AS on_road,
         (%(cat_auto)s::bool[])[cx] AS auto, (%(cat_dept)s::int[])[cx] AS dept,
         (%(cat_span)s::float8[])[cx] * interval '1 hour' AS span,
         %(now)s::timestamptz - age * interval '1 day' AS rep_at,
         pg_temp.bench_u(i, 7) AS u_void, pg_temp.bench_u(i, 8) AS u_stuck,
         pg_temp.bench_u(i, 9) AS u_f, pg_temp.bench_u(i, 10) AS u_rework,
         pg_temp.bench_u(i, 11) AS u_ext, pg_temp.bench_u(i, 12) AS u_hold,
         pg_temp.bench_u(i, 13) AS u_src, pg_temp.bench_u(i, 14) AS u_verify,
         pg_temp.bench_u(i, 15) AS u_disp
  FROM c
), e AS (
  SELECT d.*,
         (NOT auto AND NOT rep AND k = 0 AND mod(i, 25) >= 3 AND u_void < 0.6) AS void,
         rep_at + CASE WHEN auto THEN interval '0' ELSE (0.5 + 3 * u_disp) * interval '1 hour'
                  END AS d_at,
         CASE WHEN u_stuck < 0.001 THEN 1000.0
              WHEN u_f < 0.80 THEN 0.15 + 0.65 * u_f / 0.80
              WHEN u_f < 0.89 THEN 0.8 + 0.2 * (u_f - 0.80) / 0.09
              WHEN u_f < 0.96 THEN 1 + (u_f - 0.89) / 0.07
              WHEN u_f < 0.99 THEN 2 + 2 * (u_f - 0.96) / 0.03
              ELSE 4 + 6 * (u_f - 0.99) / 0.01 END AS share
  FROM d
), tl AS MATERIALIZED (
  SELECT e.*, d_at + span * share * 0.15 AS start_at, d_at + span * share AS sub_at,
         d_at + span * share + (0.5 + 6 * u_verify) * interval '1 hour' AS close_at,
         d_at + 0.8 * span AS yellow, d_at + span AS dl, d_at + 2 * span AS l2,
         d_at + 4 * span AS l3
  FROM e
), g AS (
  SELECT tl.*,
         CASE WHEN void THEN 'void'
              WHEN d_at > %(now)s THEN 'reported'
              WHEN close_at <= %(now)s THEN 'closed'
              WHEN sub_at <= %(now)s THEN 'submitted'
              WHEN start_at <= %(now)s AND u_stuck < 0.001 AND u_hold < 0.5 AND l3 < %(now)s
                THEN 'on_hold'
              WHEN start_at <= %(now)s THEN 'in_progress'
              ELSE 'assigned' END AS status
  FROM tl
), h AS MATERIALIZED (
  SELECT g.*,
         CASE status WHEN 'closed' THEN sub_at WHEN 'submitted' THEN sub_at
                     WHEN 'on_hold' THEN greatest(start_at, l3)
                     WHEN 'in_progress' THEN %(now)s WHEN 'assigned' THEN %(now)s END AS ref,
         CASE WHEN NOT rep THEN -1 WHEN k + 1 >= 3 THEN 2 ELSE 1 END AS rep_level,
         status NOT IN ('reported', 'void') AS dispatched,
         status IN ('assigned', 'in_progress') AS running,
         status = 'closed' AND u_rework < 0.05 AS reworked,
         status = 'closed' AND u_ext < 0.03 AS extended
  FROM g
), j AS (
  SELECT h.*,
         CASE WHEN ref IS NULL THEN -1 WHEN ref >= l3 THEN 3 WHEN ref >= l2 THEN 2
              WHEN ref >= dl THEN 1 WHEN ref >= yellow THEN 0 ELSE -1 END AS time_level,
         CASE WHEN ref IS NULL THEN 'green' WHEN ref >= dl THEN 'red'
              WHEN ref >= yellow THEN 'yellow' ELSE 'green' END AS light,
         CASE WHEN u_src < 0.42 THEN 'patrol' WHEN u_src < 0.60 THEN 'inspector'
              WHEN u_src < 0.67 THEN 'third_party' WHEN u_src < 0.73 THEN 'city_inspection'
              WHEN u_src < 0.85 THEN 'citizen' WHEN u_src < 0.97 THEN 'hotline'
              ELSE 'media' END AS source
  FROM h
), m AS MATERIALIZED (
  SELECT j.*, greatest(time_level, rep_level) AS lvl FROM j
)
SELECT
  i, 'B' || i, (%(cat_id)s::bigint[])[cx], source, 'bench', '',
  %(ox)s + (col + 0.03 + 0.94 * u_x) * %(cell)s + CASE WHEN rep THEN k * 0.00003 ELSE 0 END,
  CASE WHEN on_road THEN %(oy)s + (row_ + 0.5) * %(cell)s + CASE WHEN rep THEN k * 0.00002
                                                               ELSE 0 END
       ELSE %(oy)s + (row_ + CASE WHEN u_y < 0.5 THEN 0.03 + 0.74 * u_y
                                  ELSE 0.23 + 0.74 * u_y END) * %(cell)s END,
  '', (%(grid_id)s::bigint[])[g + 1],
  CASE WHEN on_road THEN
    (%(road_id)s::bigint[])[row_ * %(segs)s + least(col / %(segcols)s, %(segs)s - 1) + 1] END,
  CASE WHEN source = 'patrol' THEN (%(go_user)s::int[])[g + 1]
       WHEN source IN ('inspector', 'third_party', 'city_inspection')
         THEN (%(insp_user)s::int[])[1 + mod(i, %(ninsp)s)] END,
  status,
  CASE WHEN NOT dispatched THEN NULL
       WHEN dept > 0 THEN (%(handler_id)s::bigint[])[(dept - 1) * %(nh)s + 1 + mod(i, %(nh)s)]
       ELSE (%(go_id)s::bigint[])[g + 1] END,
  CASE WHEN dispatched AND dept > 0 THEN (%(dept_id)s::bigint[])[dept] END,
  '', false, false,
  CASE WHEN dispatched THEN d_at END, CASE WHEN dispatched THEN dl END,
  CASE WHEN dispatched THEN yellow END, CASE WHEN dispatched THEN l2 END,
  CASE WHEN dispatched THEN l3 END,
  CASE WHEN running THEN least(CASE light WHEN 'green' THEN yellow WHEN 'yellow' THEN dl END,
                               CASE lvl WHEN -1 THEN yellow WHEN 0 THEN dl WHEN 1 THEN l2
                                        WHEN 2 THEN l3 END) END,
  light, lvl, lvl = 3,
  CASE WHEN rep THEN i - 1 END, CASE WHEN rep THEN k + 1 ELSE 1 END,
  reworked::int, extended::int,
  CASE WHEN status = 'on_hold' THEN ref END,
  CASE WHEN status = 'on_hold' THEN 'in_progress' ELSE '' END, 0,
  CASE status WHEN 'void' THEN 2 WHEN 'reported' THEN 1
    ELSE CASE WHEN auto THEN 1 ELSE 2 END
         + CASE status WHEN 'assigned' THEN 0 WHEN 'in_progress' THEN 1 WHEN 'on_hold' THEN 2
                       WHEN 'submitted' THEN 2
                       ELSE 3 + 2 * extended::int + 2 * reworked::int END END,
  rep_at,
  CASE WHEN status IN ('in_progress', 'on_hold', 'submitted', 'closed') THEN start_at END,
  CASE WHEN status IN ('submitted', 'closed') THEN sub_at END,
  CASE WHEN status = 'closed' THEN close_at END,
  status = 'closed' AND sub_at > dl,
  CASE status WHEN 'closed' THEN close_at
              WHEN 'void' THEN least(rep_at + interval '1 hour', %(now)s) ELSE %(now)s END
FROM m
"""

_SEQUENCE = """
SELECT setval(pg_get_serial_sequence('tasks_app_task', 'id'),
              greatest((SELECT max(id) FROM tasks_app_task), 1))
"""

# Exactly %(crossings)s running tasks cross yellow a minute before now: the latest tasks that
# are no part of a repeat chain, their timeline moved so that yellow has just passed.
_CROSSINGS = """
UPDATE tasks_app_task AS t SET
  status = 'in_progress', reported_at = t.reported_at + x.shift,
  dispatched_at = t.dispatched_at + x.shift, yellow_at = t.yellow_at + x.shift,
  deadline = t.deadline + x.shift, level2_at = t.level2_at + x.shift,
  level3_at = t.level3_at + x.shift,
  started_at = t.dispatched_at + x.shift + (t.yellow_at - t.dispatched_at) * 0.2,
  submitted_at = NULL, closed_at = NULL, closed_late = false, light = 'green',
  escalation_level = -1, supervised = false, next_escalation_at = t.yellow_at + x.shift,
  rework_count = 0, extension_count = 0, hold_started_at = NULL, hold_from_status = '',
  version = x.version, updated_at = %(now)s
FROM (
  SELECT t2.id, %(now)s::timestamptz - interval '1 minute' - t2.yellow_at AS shift,
         CASE WHEN c.auto_dispatch THEN 2 ELSE 3 END AS version
  FROM tasks_app_task t2 JOIN tasks_app_category c ON c.id = t2.category_id
  WHERE mod(t2.id, 25) >= 3 AND t2.dispatched_at IS NOT NULL
  ORDER BY t2.id DESC LIMIT %(crossings)s
) AS x
WHERE t.id = x.id
"""

_PATTERNS = """
CREATE TEMP TABLE bench_pattern ON COMMIT DROP AS
SELECT key, string_to_array(kinds, ',') AS kinds, string_to_array(froms, ',') AS froms,
       string_to_array(tos, ',') AS tos, string_to_array(whens, ',') AS whens
FROM unnest(%(pat_key)s::text[], %(pat_kinds)s::text[], %(pat_from)s::text[],
            %(pat_to)s::text[], %(pat_when)s::text[]) AS p(key, kinds, froms, tos, whens)
"""

_EVENTS = """
INSERT INTO tasks_app_taskevent (task_id, kind, actor_id, from_status, to_status, note, extra,
                                 version, created_at)
SELECT t.id, p.kinds[n],
       CASE p.kinds[n] WHEN 'reported' THEN t.reporter_id
                       WHEN 'started' THEN o.user_id WHEN 'submitted' THEN o.user_id
                       WHEN 'extension_requested' THEN o.user_id
                       WHEN 'approved' THEN (%(insp_user)s::int[])[1 + mod(t.id, %(ninsp)s)]
                       WHEN 'rework' THEN (%(insp_user)s::int[])[1 + mod(t.id, %(ninsp)s)]
                       ELSE %(sup_user)s END,
       coalesce(p.froms[n], ''), p.tos[n], '', '{}'::jsonb, n,
       CASE p.whens[n] WHEN 'r' THEN t.reported_at WHEN 'd' THEN t.dispatched_at
                       WHEN 's' THEN t.started_at WHEN 'h' THEN t.hold_started_at
                       WHEN 'u' THEN t.submitted_at WHEN 'c' THEN t.closed_at
                       WHEN 'v' THEN least(t.reported_at + interval '1 hour', %(now)s)
                       WHEN 'x' THEN t.started_at + (t.submitted_at - t.started_at) * 0.3
                       WHEN 'y' THEN t.started_at + (t.submitted_at - t.started_at) * 0.35
                       WHEN 'p' THEN t.started_at + (t.submitted_at - t.started_at) * 0.6
                       WHEN 'w' THEN t.started_at + (t.submitted_at - t.started_at) * 0.7 END
FROM tasks_app_task t
JOIN tasks_app_category c ON c.id = t.category_id
JOIN bench_pattern p ON p.key = CASE WHEN c.auto_dispatch THEN 'auto' ELSE 'manual' END
                               || '|' || t.status || '|' || t.extension_count
                               || '|' || t.rework_count
LEFT JOIN gridmgmt_officer o ON o.id = t.assignee_id
CROSS JOIN LATERAL generate_series(1, cardinality(p.kinds)) AS n
"""

# As the services and the sweep leave them: a repeat crosses levels 1 (and 2 from the third
# occurrence) at once; time crossings add every level up to the one reached, unless the repeat
# already stood there.
_ESCALATIONS = """
INSERT INTO tasks_app_escalation (task_id, level, reason, crossed_at)
SELECT t.id, l,
       CASE WHEN l BETWEEN 1 AND r.rl THEN 'repeat' ELSE 'time' END,
       CASE WHEN l BETWEEN 1 AND r.rl THEN t.reported_at
            ELSE CASE t.escalation_level WHEN 0 THEN t.yellow_at WHEN 1 THEN t.deadline
                                         WHEN 2 THEN t.level2_at ELSE t.level3_at END END
FROM tasks_app_task t
CROSS JOIN LATERAL (SELECT CASE WHEN t.repeat_of_id IS NULL THEN -1
                                WHEN t.repeat_seq >= 3 THEN 2 ELSE 1 END AS rl) AS r
CROSS JOIN LATERAL generate_series(0, t.escalation_level) AS l
WHERE t.escalation_level >= 0 AND (l BETWEEN 1 AND r.rl OR t.escalation_level > r.rl)
"""

STATEMENTS = [_SETTINGS, _NO_TRIGGERS, _TRUNCATE, _HASH, _TASKS, _SEQUENCE, _CROSSINGS,
              _PATTERNS, _EVENTS, _ESCALATIONS]
