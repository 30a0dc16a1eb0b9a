"""The monthly evaluation against a month worked out by hand: November 2026.

Every task below goes through the services on a frozen clock, as it would in production. The
figures for 东街道 (street S1, grid G1) and for the department 城管中队 are then derived by hand
in the comments and written as literal numbers; ``evaluate()`` must give exactly those.

Categories count in natural hours, so each deadline is plain arithmetic:

    A 乱堆物料  2 points, 48 h            B 占道经营  3 points, 24 h, high-deduction
    M 违规横幅  1 point, never dispatched automatically

People and the duty change on the 15th (00:00):

    grid1   grid officer of G1 until Nov 15, in 城管中队 (ZD) until Nov 15, then in 市政所 (SZ)
    grid1b  grid officer of G1 from Nov 15, in 市政所 (SZ)
    grid2   grid officer of G2 (street S2) throughout, in 城管中队 (ZD)

A task's department is set when it is dispatched, so grid1's tasks from before the 15th stay
with 城管中队 even where he works on them after moving to 市政所 (T6, T8).

The tasks (times in Asia/Shanghai; "late" means submitted after the deadline):

    T0  A  p1  patrol           Oct 20 10:00  deadline Oct 22 10:00; fixed Oct 21, closed Oct 21
    T1  B  p2  citizen          Oct 31 20:00  deadline Nov 1 20:00; submitted Nov 2 09:00 (late)
                                              closed Nov 2 10:00      -- registered in October
    T2  A  p3  patrol           Nov 1 00:30   (16:30 UTC on Oct 31: November here) deadline
                                              Nov 3 00:30; fixed Nov 2 10:00, closed 11:00
    T3  A  p1  patrol           Nov 3 10:00   repeat of T0 (2nd); deadline Nov 5 10:00;
                                              submitted Nov 4 10:00, sent back Nov 4 12:00
                                              (rework; the 2 h wait moves the deadline to
                                              Nov 5 12:00), resubmitted Nov 5 11:00, closed
                                              11:30 -- on time
    T4  A  p1  third_party      Nov 6 10:00   repeat of T3 (3rd: a hotspot); deadline Nov 8
                                              10:00; never started -- overdue
    T5  B  p4  city_inspection  Nov 9 10:00   deadline Nov 10 10:00; started 11:00, held
                                              Nov 9 12:00-Nov 11 12:00 (22 h were left, so the
                                              deadline becomes Nov 12 10:00); submitted Nov 12
                                              09:00, closed 09:30 -- on time thanks to the hold
    T6  A  p5  patrol           Nov 12 10:00  deadline Nov 14 10:00, extended on Nov 13 to
                                              Nov 20 10:00; submitted Nov 19 10:00 (by grid1,
                                              now in 市政所), closed 11:00 -- on time
    T8  A  p7  patrol           Nov 13 10:00  deadline Nov 15 10:00; grid1 (in 市政所 since
                                              00:00) submits Nov 15 09:00, closed Nov 16 10:00
    T7  A  p6  patrol           Nov 16 10:00  to grid1b (市政所); deadline Nov 18 10:00;
                                              submitted Nov 19 10:00 (late), closed 11:00
    T9  B  p8  citizen          Nov 20 10:00  to grid1b; deadline Nov 21 10:00; submitted Nov 21
                                              09:00, still waiting for verification on Dec 1
    T10 M  p9  citizen          Nov 25 10:00  void (不予立案) at 11:00 -- counts nowhere
    T12 B  p11 hotline          Nov 26 10:00  to grid1b; deadline Nov 27 10:00; on hold since
                                              Nov 26 14:00 and still on Dec 1 (clock stopped)
    T11 A  p10 patrol           Nov 30 10:00  to grid1b; deadline Dec 2 10:00; open
    U1  A  G2  hotline          Nov 4 10:00   to grid2; deadline Nov 6 10:00; fixed Nov 5 10:00,
                                              closed 11:00
    U2  B  G2  patrol           Nov 18 10:00  to grid2; deadline Nov 19 10:00; submitted Nov 20
                                              10:00 (late), closed 11:00

The evaluation is read on Dec 1 at 09:00, as the monthly report job would. The story is built
by the ``november_tasks`` fixture in conftest.py, step by step in this order of time.
"""

from __future__ import annotations

from decimal import Decimal

import time_machine

from tasks_app import evaluation, services
from tasks_app.models import EvaluationScheme, Task
from tasks_app.workflow import Status
from tests.evaluation.conftest import MONTH, photo
from tests.gridmgmt.calendars import at


def test_the_story_went_as_written(november):
    """The premises the hand figures rest on, checked on the tasks themselves."""
    t = november
    tasks = {name: Task.objects.get(pk=getattr(t, name).pk) for name in (
        "T0", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12", "U1",
        "U2")}
    assert {n for n, x in tasks.items() if x.status == Status.CLOSED} == {
        "T0", "T1", "T2", "T3", "T5", "T6", "T7", "T8", "U1", "U2"}
    assert {n for n, x in tasks.items() if x.closed_late} == {"T1", "T7", "U2"}
    assert (tasks["T3"].repeat_of_id, tasks["T3"].repeat_seq) == (t.T0.pk, 2)
    assert (tasks["T4"].repeat_of_id, tasks["T4"].repeat_seq) == (t.T3.pk, 3)
    assert tasks["T3"].deadline == at(2026, 11, 5, 12, 0)  # moved by the 2 h verification wait
    assert tasks["T3"].rework_count == 1
    assert tasks["T5"].deadline == at(2026, 11, 12, 10, 0)  # moved by the 48 h hold
    assert tasks["T6"].deadline == at(2026, 11, 20, 10, 0) and tasks["T6"].extension_count == 1
    assert tasks["T12"].status == Status.ON_HOLD
    assert tasks["T12"].deadline == at(2026, 11, 27, 10, 0)  # stored, but the clock is stopped
    assert tasks["T9"].status == Status.SUBMITTED
    assert tasks["T10"].status == Status.VOID
    # Departments are those of the assignee when dispatched: grid1's tasks from before the 15th
    # stay with 城管中队 although he has been in 市政所 since, and worked on T6 and T8 there.
    assert t.world.grid_officer.department == t.sz
    by_dept = {n: x.department.code for n, x in tasks.items() if x.department_id}
    assert by_dept == {"T0": "ZD", "T1": "ZD", "T2": "ZD", "T3": "ZD", "T4": "ZD", "T5": "ZD",
                       "T6": "ZD", "T8": "ZD", "U1": "ZD", "U2": "ZD",
                       "T7": "SZ", "T9": "SZ", "T11": "SZ", "T12": "SZ"}
    assert tasks["T6"].assignee == tasks["T8"].assignee == t.world.grid_officer
    assert tasks["T7"].assignee == t.grid1b


def test_the_street_by_hand(november):
    s1 = november.streets["东街道"]
    # Registered in November (reported_at in [Nov 1 00:00, Dec 1 00:00) Shanghai, not void):
    # T2 (00:30 on the 1st), T3, T4, T5, T6, T7, T8, T9, T11, T12. Not T1 (Oct 31), not T10.
    assert s1.registered == 10
    # Due: a deadline in November, or closed in November: T1 (Nov 1 20:00), T2, T3, T4, T5, T6
    # (extended deadline Nov 20), T7, T8, T9 (waiting for verification). Not T11 (Dec 2), not
    # T12 (on hold since before its deadline: that deadline is not real yet), not T0 (October).
    assert s1.due == 9
    # Closed in November: T1, T2, T3, T5, T6, T7, T8.
    assert s1.closed == 7
    # On time: those minus T1 and T7 (submitted after the deadline). T3 resubmitted 11:00 after
    # the original 10:00 deadline, but the rework wait moved it to 12:00; T5 was saved by its
    # hold; T8 was verified a day after its deadline but fixed before it.
    assert s1.on_time == 5
    assert s1.extended == 1  # T6, due and extended
    assert s1.patrol == 6  # registered from patrol: T2, T3, T6, T7, T8, T11
    assert s1.third_party == 2  # T4 third_party, T5 city_inspection
    # Overdue: deadline passed in November without a fix in time: T1 and T7 (late), T4 (open).
    # Not T9 (fixed in time, waiting), not T12 (clock stopped).
    assert s1.overdue == 3
    assert s1.repeats == 2  # T3 and T4
    assert s1.high_deduction == 3  # category B registered in November: T5, T9, T12
    assert s1.rework == 1  # T3, sent back on Nov 4
    # Points charged in November. Registered: T2 2, T3 2x2=4, T4 2x2=4, T5 3, T6 2, T7 2, T8 2,
    # T9 3, T11 2, T12 3 = 27. The late half of tasks closed late in November: T1 3/2 = 1.5 (its
    # 3 were charged to October, when it was registered) and T7 2/2 = 1. 27 + 2.5 = 29.5.
    assert s1.points == Decimal("29.5")
    # Rates to six decimals, halves up: 7/9, 5/9, 1/7 (rework per closed), 1/9, 6/10, 2/10.
    assert s1.rates == {
        "closed_rate": 0.777778, "on_time_rate": 0.555556, "rework_rate": 0.142857,
        "extension_rate": 0.111111, "patrol_rate": 0.6, "third_party_rate": 0.2}
    # The default scheme: 100 + 10 closure + 20 on-time - 10 rework - 5 extension + 10 patrol
    # - 15 third-party rate, - 1 per overdue, - 2 per repeat, - 0.5 per point:
    # 100 + 7.77778 + 11.11112 - 1.42857 - 0.555555 + 6 - 3 - 3 - 4 - 14.75 = 98.154775
    # -> 98.15.
    assert s1.score == Decimal("98.15")
    # 西街道 (U1 on time, U2 late): 100 + 10 x 2/2 + 20 x 1/2 - 0 - 0 + 10 x 1/2 - 0 - 1 x 1
    # - 2 x 0 - 0.5 x (2 + 3 + 1.5) = 120.75, so 东街道 is second.
    s2 = november.streets["西街道"]
    assert (s2.registered, s2.due, s2.closed, s2.on_time, s2.overdue, s2.points) == (
        2, 2, 2, 1, 1, Decimal("6.5"))
    assert (s2.score, s2.rank, s1.rank) == (Decimal("120.75"), 1, 2)


def test_october_and_the_change_from_it(november):
    # October for 东街道: T0 (closed on time Oct 21) and T1 (registered Oct 31). Registered 2,
    # due 1 (T0; T1's deadline is in November), closed 1, on time 1, patrol 1 of 2, high 1 (T1),
    # points T0 2 + T1 3 = 5 (T1's late half went to November). Score: 100 + 10 + 20 + 10 x 1/2
    # - 0.5 x 5 = 132.50, first of the two (西街道 had nothing: 100).
    oct_s1 = november.october["东街道"]
    assert (oct_s1.registered, oct_s1.due, oct_s1.closed, oct_s1.on_time, oct_s1.patrol,
            oct_s1.high_deduction, oct_s1.overdue, oct_s1.points) == (
        2, 1, 1, 1, 1, 1, 0, Decimal("5"))
    assert (oct_s1.score, oct_s1.rank) == (Decimal("132.50"), 1)
    s1, s2 = november.streets["东街道"], november.streets["西街道"]
    assert (s1.previous_rank, s1.score_change) == (1, Decimal("98.15") - Decimal("132.50"))
    assert s1.score_change == Decimal("-34.35")
    # 西街道 had no task in October: no last month to compare with.
    assert (s2.previous_rank, s2.score_change) == (None, None)


def test_the_department_by_hand(november):
    zd = november.departments["城管中队"]
    # 城管中队's tasks: grid1's dispatched before the 15th (T0, T1, T2, T3, T4, T5, T6, T8) and
    # grid2's in 西街道 (U1, U2). Registered in November: T2, T3, T4, T5, T6, T8, U1, U2.
    assert zd.registered == 8
    # Due: T1, T2, T3, T4, T5, T6, T8, U1, U2.
    assert zd.due == 9
    assert zd.closed == 8  # all of those but T4
    assert zd.on_time == 6  # T2, T3, T5, T6, T8, U1 (T1 and U2 late)
    assert zd.extended == 1  # T6
    assert zd.patrol == 5  # T2, T3, T6, T8, U2
    assert zd.third_party == 2  # T4, T5
    assert zd.overdue == 3  # T1, U2 (late), T4 (open)
    assert zd.repeats == 2  # T3, T4
    assert zd.high_deduction == 2  # T5, U2
    assert zd.rework == 1  # T3
    # Registered: T2 2 + T3 4 + T4 4 + T5 3 + T6 2 + T8 2 + U1 2 + U2 3 = 22; late halves closed
    # in November: T1 1.5 + U2 1.5 = 3. Total 25.
    assert zd.points == Decimal("25")
    assert zd.rates == {  # 8/9, 6/9, 1/8, 1/9, 5/8, 2/8
        "closed_rate": 0.888889, "on_time_rate": 0.666667, "rework_rate": 0.125,
        "extension_rate": 0.111111, "patrol_rate": 0.625, "third_party_rate": 0.25}
    # 100 + 8.88889 + 13.33334 - 1.25 - 0.555555 + 6.25 - 3.75 - 3 - 4 - 12.5 = 103.416675
    # -> 103.42.
    assert zd.score == Decimal("103.42")
    # October: T0 and T1 were 城管中队's, the same figures as 东街道's: 132.50, first.
    assert (zd.previous_rank, zd.score_change) == (1, Decimal("-29.08"))


def test_the_new_department_and_the_ranking(november):
    sz = november.departments["市政所"]
    # 市政所 has what grid1b was given from the 15th: T7, T9, T11, T12 (registered 4). Due: T7,
    # T9 (T11 is due in December, T12 is held). Closed: T7, late. Patrol: T7, T11. Overdue: T7.
    # High: T9, T12. Points: T7 2 + T9 3 + T11 2 + T12 3 + T7's late half 1 = 11.
    assert (sz.registered, sz.due, sz.closed, sz.on_time, sz.extended, sz.patrol,
            sz.third_party, sz.overdue, sz.repeats, sz.high_deduction, sz.rework) == (
        4, 2, 1, 0, 0, 2, 0, 1, 0, 2, 0)
    assert sz.points == Decimal("11")
    # 100 + 10 x 1/2 + 0 + 10 x 2/4 - 1 - 0.5 x 11 = 103.50: just ahead of 城管中队's 103.42.
    assert sz.score == Decimal("103.50")
    hw = november.departments["环卫所"]  # the world's department: no tasks, the base score
    assert hw.score == Decimal("100.00") and hw.registered == hw.due == 0
    ranks = {name: (r.rank, r.previous_rank) for name, r in november.departments.items()}
    # October: 城管中队 132.50 first, the other two 100 share second (and had no tasks, so no
    # previous rank).
    assert ranks == {"市政所": (1, None), "城管中队": (2, 1), "环卫所": (3, None)}


def test_the_street_s_only_community_and_grid_have_the_same_figures(november):
    fields = evaluation.COUNTS + ("points", "rates", "score", "rank", "previous_rank",
                                  "score_change")
    s1 = november.streets["东街道"]
    for row in (november.communities["一社区"], november.grids["一号网格"]):
        assert {k: getattr(row, k) for k in fields} == {k: getattr(s1, k) for k in fields}


def test_a_later_reading_of_november_gives_the_same_figures(november):
    """Closing T9 late and T4 in December changes nothing in November's figures."""
    t = november
    with time_machine.travel(at(2026, 12, 3, 10, 0), tick=False):
        services.task_verify(task=t.T9, actor=t.world.inspector.user, approved=True)
        t4 = services.task_start(task=t.T4, actor=t.world.grid_officer.user)
        t4 = services.task_submit(task=t4, actor=t.world.grid_officer.user, photos=[photo()])
        services.task_verify(task=t4, actor=t.world.inspector.user, approved=True)
        again = {r.name: r for r in evaluation.evaluate(MONTH, "street")}
    assert again["东街道"].as_dict() == november.streets["东街道"].as_dict()


def test_rates_and_scores_round_half_up():
    """四舍五入, as the review meeting counts (and as PostgreSQL rounds), not to even."""
    assert evaluation.rate(1, 128) == 0.007813  # 0.0078125
    assert evaluation.rate(2, 3) == 0.666667 and evaluation.rate(5, 0) is None
    row = evaluation.Row(level="street", unit_id=1, name="x", points=Decimal("0.75"))
    # 100 - 0.5 x 0.75 = 99.625: 99.63 (rounding to even would give 99.62).
    assert evaluation.score(row, EvaluationScheme(name="default")) == Decimal("99.63")
