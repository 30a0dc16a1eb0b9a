"""The monthly evaluation against months worked out by hand: November 2026, with October and
September around it.

Every task below goes through the services on a frozen clock, as it would in production. Every
figure of every unit is then derived by hand in the comments and written as a literal; the
evaluation must give exactly those. The rules are those of ``tasks_app/evaluation.py``'s
docstring (DESIGN.md section 3, "Monthly evaluation").

Categories (natural hours, except W in working days on the 2026 National Day calendar: 1-7
October off, Saturday 10 October worked):

    A 乱堆物料  2 points, 48 h            B 占道经营  3 points, 24 h, high-deduction
    M 违规横幅  1 point, never dispatched automatically
    W 井盖破损  2 points, 2 working days

People and the duty change on the 15th (00:00):

    grid1   grid officer of G1 until Nov 15, in 城管中队 (ZD) until Nov 15, then in 市政所 (SZ)
    grid1b  grid officer of G1 from Nov 15, in 市政所 (SZ)
    grid2   grid officer of G2 (street S2) throughout, in 城管中队 (ZD)

Departments come from the event log: the department responsible at the month's end, or at
closure. grid1's tasks dispatched before the 15th stay with 城管中队 although he worked on some
after moving (T6, T8); T11, reassigned to grid2 (城管中队) on December 1, stays 市政所's in
November.

The tasks (times in Asia/Shanghai; "late" means submitted after the deadline):

    T00 W  p12 hotline          Sep 29 10:00  (Tuesday) deadline 2 working days later: Sep 30,
                                              then the break, so Oct 8 10:00; fixed Sep 30
                                              10:00, closed 11:00 -- before its deadline's month
    T0  A  p1  patrol           Oct 20 10:00  deadline Oct 22 10:00; fixed Oct 21, closed Oct 21
    T1  B  p2  citizen          Oct 31 20:00  deadline Nov 1 20:00; submitted Nov 2 09:00 (late)
                                              closed Nov 2 10:00      -- registered in October
    T2  A  p3  patrol           Nov 1 00:30   deadline Nov 3 00:30; fixed Nov 2 10:00, closed
                                              11:00
    T3  A  p1  patrol           Nov 3 10:00   repeat of T0 (a self-found repeat); deadline Nov 5
                                              10:00; submitted Nov 4 10:00, sent back 12:00
                                              (rework; the 2 h wait moves the deadline to Nov 5
                                              12:00), resubmitted Nov 5 11:00, closed 11:30 --
                                              on time
    T4  A  p1  third_party      Nov 6 10:00   repeat of T3 (3rd); deadline Nov 8 10:00; started
                                              Nov 9, submitted Nov 10 10:00 (late), closed 11:00
                                              -- a third-party repeat closed late
    T5  B  p4  city_inspection  Nov 9 10:00   held Nov 9 12:00-Nov 11 12:00, deadline Nov 12
                                              10:00; submitted 09:00, closed 09:30 -- on time
    T6  A  p5  patrol           Nov 12 10:00  extended on Nov 13 to Nov 20 10:00; submitted
                                              Nov 19 10:00 (by grid1, now in 市政所), closed
                                              11:00 -- on time
    T8  A  p7  patrol           Nov 13 10:00  deadline Nov 15 10:00; submitted Nov 15 09:00,
                                              closed Nov 16 10:00 -- on time
    T7  A  p6  patrol           Nov 16 10:00  to grid1b (市政所); deadline Nov 18 10:00;
                                              submitted Nov 19 10:00 (late), closed 11:00
    T9  B  p8  citizen          Nov 20 10:00  to grid1b; deadline Nov 21 10:00; submitted Nov 21
                                              09:00, still waiting for verification on Dec 1
    T13 A  r1  inspector        Nov 23 10:00  on 中山路, to grid1b; deadline Nov 25 10:00;
                                              never started -- still overdue at the month's end
    T10 M  p9  citizen          Nov 25 10:00  void (不予立案) at 11:00 -- counts nowhere
    T12 B  p11 hotline          Nov 26 10:00  to grid1b; deadline Nov 27 10:00; on hold since
                                              Nov 26 14:00 and still on Dec 1 (clock stopped)
    T11 A  p10 patrol           Nov 30 10:00  to grid1b; deadline Dec 2 10:00; open; reassigned
                                              to grid2 on Dec 1 08:00
    U1  A  G2  hotline          Nov 4 10:00   to grid2; deadline Nov 6 10:00; fixed Nov 5 10:00,
                                              closed 11:00
    U2  B  G2  patrol           Nov 18 10:00  to grid2; deadline Nov 19 10:00; submitted Nov 20
                                              10:00 (late), closed 11:00

The evaluation is read on Dec 1 at 09:00, as the monthly report job would. The default scheme
(the model's defaults) scores: 100 + 10 closure rate + 20 on-time rate - 10 rework rate - 5
extension rate + 10 patrol rate + 10 self-fixed rate - 15 third-party rate - 1 per overdue - 2
per repeat - 0.5 per point; rates are taken to six decimals, the score to cents, halves up.
"""

from __future__ import annotations

from decimal import Decimal

import time_machine

from tasks_app import evaluation, services
from tasks_app.evaluation import rate
from tasks_app.models import EvaluationScheme, Task, TaskEvent
from tasks_app.workflow import Status
from tests.evaluation.conftest import MONTH
from tests.gridmgmt.calendars import at

NAMES = ("T00", "T0", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12",
         "T13", "U1", "U2")


def cells(row) -> dict:
    """Every cell of a row, as the API and the exports give it."""
    return row.as_dict()


def figures(level, unit_id, name, *, registered, due, closed, on_time, extended, patrol,
            self_fixed, third_party, overdue, repeats, high_deduction, rework, points, rates,
            score, rank, previous_rank, score_change, has_data=True,
            last_two_months=False, rated=0, satisfied=0) -> dict:
    # Nobody rated anything in the story (ratings: test_satisfaction.py).
    return {"level": level, "unit_id": unit_id, "name": name, "registered": registered,
            "due": due, "closed": closed, "on_time": on_time, "extended": extended,
            "patrol": patrol, "self_fixed": self_fixed, "third_party": third_party,
            "overdue": overdue, "repeats": repeats, "high_deduction": high_deduction,
            "rework": rework, "rated": rated, "satisfied": satisfied, "points": points,
            **rates, "satisfaction_rate": rate(satisfied, rated), "score": score, "rank": rank,
            "previous_rank": previous_rank, "score_change": score_change, "has_data": has_data,
            "last_two_months": last_two_months}


def rates(closed, on_time, rework, extension, patrol, self_fixed, third_party) -> dict:
    return {"closed_rate": closed, "on_time_rate": on_time, "rework_rate": rework,
            "extension_rate": extension, "patrol_rate": patrol, "self_fixed_rate": self_fixed,
            "third_party_rate": third_party}


NO_RATES = rates(None, None, None, None, None, None, None)


def test_the_story_went_as_written(november):
    """The premises the hand figures rest on, checked on the tasks themselves."""
    t = november
    tasks = {name: Task.objects.get(pk=getattr(t, name).pk) for name in NAMES}
    assert {n for n, x in tasks.items() if x.status == Status.CLOSED} == {
        "T00", "T0", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "U1", "U2"}
    assert {n for n, x in tasks.items() if x.closed_late} == {"T1", "T4", "T7", "U2"}
    # National Day: two working days from Tuesday Sep 29 10:00 end on Thursday Oct 8 10:00.
    assert tasks["T00"].deadline == at(2026, 10, 8, 10, 0)
    assert tasks["T00"].closed_at == at(2026, 9, 30, 11, 0)
    assert (tasks["T3"].repeat_of_id, tasks["T3"].repeat_seq) == (t.T0.pk, 2)
    assert (tasks["T4"].repeat_of_id, tasks["T4"].repeat_seq) == (t.T3.pk, 3)
    assert tasks["T4"].deadline == at(2026, 11, 8, 10, 0)
    assert tasks["T3"].deadline == at(2026, 11, 5, 12, 0)  # moved by the 2 h verification wait
    assert tasks["T3"].rework_count == 1
    assert tasks["T5"].deadline == at(2026, 11, 12, 10, 0)  # moved by the 48 h hold
    assert tasks["T6"].deadline == at(2026, 11, 20, 10, 0) and tasks["T6"].extension_count == 1
    assert tasks["T12"].status == Status.ON_HOLD
    assert tasks["T12"].deadline == at(2026, 11, 27, 10, 0)  # stored, but the clock is stopped
    assert tasks["T9"].status == Status.SUBMITTED
    assert tasks["T10"].status == Status.VOID
    assert tasks["T13"].road == t.world.road and tasks["T13"].status == Status.ASSIGNED
    assert {n for n, x in tasks.items() if x.road_id} == {"T13"}
    # Today's departments: T11 moved to 城管中队 with its reassignment on December 1.
    by_dept = {n: x.department.code for n, x in tasks.items() if x.department_id}
    assert by_dept == {"T00": "ZD", "T0": "ZD", "T1": "ZD", "T2": "ZD", "T3": "ZD", "T4": "ZD",
                       "T5": "ZD", "T6": "ZD", "T8": "ZD", "U1": "ZD", "U2": "ZD", "T11": "ZD",
                       "T7": "SZ", "T9": "SZ", "T12": "SZ", "T13": "SZ"}
    assert tasks["T6"].assignee == tasks["T8"].assignee == t.world.grid_officer
    assert tasks["T7"].assignee == t.grid1b
    # The log says who was responsible when: the reassignment records both departments.
    moved = TaskEvent.objects.get(task=t.T11, kind=TaskEvent.Kind.REASSIGNED)
    first = TaskEvent.objects.get(task=t.T11, kind=TaskEvent.Kind.REPORTED)
    assert first.extra["department"] == t.sz.pk and moved.extra["department"] == t.zd.pk
    assert moved.created_at == at(2026, 12, 1, 8, 0)


def test_the_streets_of_november_by_hand(november):
    t = november
    s1, s2 = t.world.street1.pk, t.world.street2.pk
    # 东街道 (G1):
    # registered: T2 (00:30 on the 1st), T3, T4, T5, T6, T7, T8, T9, T13, T12, T11 = 11 (not T1:
    #   October; not T10: void).
    # due: a deadline in November, or closed in November: T1 (Nov 1 20:00), T2, T3, T4, T5, T6
    #   (extended to Nov 20), T7, T8, T9 (waiting), T13 = 10. Not T11 (Dec 2), not T12 (held
    #   since before its deadline: not real yet), not T00 (closed in September).
    # closed: T1, T2, T3, T4, T5, T6, T7, T8 = 8; on time: those but T1, T4, T7 = 5.
    # extended: T6. patrol: T2, T3, T6, T7, T8, T11 = 6; self-fixed (on time by Nov 30): T2, T3,
    #   T6, T8 = 4 (T7 late, T11 open). third party: T4, T5 (city inspection), T13 (inspector).
    # overdue: T1, T4, T7 (late), T13 (open) = 4; not T9 (fixed in time). repeats: T3, T4.
    #   high-deduction (B): T5, T9, T12. rework: T3's, on Nov 4.
    # points: found by others, registered: T4 2x2 = 4, T5 3, T9 3, T13 2, T12 3 = 15 (the patrol
    #   finds T2, T3, T6, T7, T8, T11 cost nothing for that); the late half of the overdue:
    #   T1 1.5, T4 4/2 = 2, T7 1, T13 1 = 5.5. Total 20.5.
    # rates: 8/10, 5/10, 1/8, 1/10, 6/11 = 0.5454545.. -> 0.545455, 4/11 -> 0.363636,
    #   3/11 -> 0.272727.
    # score: 100 + 8 + 10 - 1.25 - 0.5 + 5.45455 + 3.63636 - 4.090905 - 4 - 4 - 10.25
    #   = 103.000005 -> 103.00; second.
    # October was 138.50, first (below): change -35.50.
    assert cells(t.streets["东街道"]) == figures(
        "street", s1, "东街道", registered=11, due=10, closed=8, on_time=5, extended=1, patrol=6,
        self_fixed=4, third_party=3, overdue=4, repeats=2, high_deduction=3, rework=1,
        points=20.5, rates=rates(0.8, 0.5, 0.125, 0.1, 0.545455, 0.363636, 0.272727),
        score=103.0, rank=2, previous_rank=1, score_change=-35.5)
    # 西街道 (G2): U1 (hotline, on time), U2 (patrol, late). registered 2, due 2, closed 2, on
    # time 1, patrol 1 (U2), self-fixed 0, third party 0 (the hotline is not), overdue 1 (U2),
    # high 1 (U2). points: U1 2 + U2's late half 1.5 = 3.5. rates 2/2, 1/2, 0/2, 0/2, 1/2, 0/2,
    # 0/2. score: 100 + 10 + 10 + 5 - 1 - 1.75 = 122.25, first. October: 无数据, so no
    # previous rank and no change.
    assert cells(t.streets["西街道"]) == figures(
        "street", s2, "西街道", registered=2, due=2, closed=2, on_time=1, extended=0, patrol=1,
        self_fixed=0, third_party=0, overdue=1, repeats=0, high_deduction=1, rework=0,
        points=3.5, rates=rates(1.0, 0.5, 0.0, 0.0, 0.5, 0.0, 0.0), score=122.25, rank=1,
        previous_rank=None, score_change=None)
    assert [r.name for r in evaluation.evaluate(MONTH, "street")] == ["西街道", "东街道"]


def test_october_does_not_count_what_was_closed_in_september(november):
    t = november
    s1, s2 = t.world.street1.pk, t.world.street2.pk
    # 东街道 in October: T0 (patrol, closed on time Oct 21) and T1 (registered Oct 31). T00's
    # deadline (Oct 8) is in October, but it was closed on Sep 30: not due in October.
    # registered 2, due 1 (T0), closed 1, on time 1, patrol 1, self-fixed 1 (T0), high 1 (T1).
    # points: T1, a citizen's find, 3 (its late half falls in November, its deadline's month);
    # T0, self-found and fixed on time, nothing. rates 1/1, 1/1, 0/1, 0/1, 1/2, 1/2, 0/2.
    # score: 100 + 10 + 20 + 5 + 5 - 1.5 = 138.50. September ranked 东街道 (below): 1.
    assert cells(t.october["东街道"]) == figures(
        "street", s1, "东街道", registered=2, due=1, closed=1, on_time=1, extended=0, patrol=1,
        self_fixed=1, third_party=0, overdue=0, repeats=0, high_deduction=1, rework=0,
        points=3.0, rates=rates(1.0, 1.0, 0.0, 0.0, 0.5, 0.5, 0.0), score=138.5, rank=1,
        previous_rank=1, score_change=9.5)
    # 西街道 had nothing in October: 无数据, after the ranked street, no rank, no score.
    assert cells(t.october["西街道"]) == figures(
        "street", s2, "西街道", registered=0, due=0, closed=0, on_time=0, extended=0, patrol=0,
        self_fixed=0, third_party=0, overdue=0, repeats=0, high_deduction=0, rework=0,
        points=0.0, rates=NO_RATES, score=None, rank=None, previous_rank=None,
        score_change=None, has_data=False)
    assert list(t.october) == ["东街道", "西街道"]
    # September: T00 registered (a hotline find: 2 points), due and closed in September, on time.
    # 100 + 10 + 20 - 1 = 129.00.
    assert cells(t.september["东街道"]) == figures(
        "street", s1, "东街道", registered=1, due=1, closed=1, on_time=1, extended=0, patrol=0,
        self_fixed=0, third_party=0, overdue=0, repeats=0, high_deduction=0, rework=0,
        points=2.0, rates=rates(1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0), score=129.0, rank=1,
        previous_rank=None, score_change=None)


def test_the_departments_by_hand_from_the_event_log(november):
    t = november
    # 城管中队 in November, by the department responsible at the month's end or at closure:
    # T1, T2, T3, T4, T5, T6, T8 (grid1's, dispatched before the 15th), U1, U2 (grid2's). Not
    # T11: 市政所 held it on Nov 30 (its reassignment came on Dec 1).
    # registered: T2, T3, T4, T5, T6, T8, U1, U2 = 8. due: T1 and those 8 = 9; closed: all 9;
    # on time: T2, T3, T5, T6, T8, U1 = 6. extended: T6. patrol: T2, T3, T6, T8, U2 = 5;
    # self-fixed: T2, T3, T6, T8 = 4. third party: T4, T5. overdue: T1, T4, U2. repeats: T3,
    # T4. high: T5, U2. rework: T3.
    # points: registered, found by others: T4 4 + T5 3 + U1 2 = 9; late halves: T1 1.5 + T4 2 +
    # U2 1.5 = 5. Total 14.
    # rates: 9/9, 6/9 -> 0.666667, 1/9 -> 0.111111, 1/9, 5/8 = 0.625, 4/8, 2/8.
    # score: 100 + 10 + 13.33334 - 1.11111 - 0.555555 + 6.25 + 5 - 3.75 - 3 - 4 - 7
    #   = 115.166675 -> 115.17. October (T0, T1 as 东街道): 138.50, first; change -23.33.
    assert cells(t.departments["城管中队"]) == figures(
        "department", t.zd.pk, "城管中队", registered=8, due=9, closed=9, on_time=6, extended=1,
        patrol=5, self_fixed=4, third_party=2, overdue=3, repeats=2, high_deduction=2, rework=1,
        points=14.0, rates=rates(1.0, 0.666667, 0.111111, 0.111111, 0.625, 0.5, 0.25),
        score=115.17, rank=1, previous_rank=1, score_change=-23.33)
    # 市政所: T7, T9, T13, T12, and T11 (its at the month's end). registered 5; due T7, T9, T13 =
    # 3; closed T7 (late); patrol T7, T11; third party T13 (inspector); overdue T7, T13; high T9,
    # T12. points: T9 3 + T13 2 + T12 3 = 8 registered, late halves T7 1 + T13 1 = 2: 10.
    # rates 1/3 -> 0.333333, 0/3, 0/1, 0/3, 2/5, 0/5, 1/5.
    # score: 100 + 3.33333 + 4 - 3 - 2 - 5 = 97.33333 -> 97.33, second. October: 无数据.
    assert cells(t.departments["市政所"]) == figures(
        "department", t.sz.pk, "市政所", registered=5, due=3, closed=1, on_time=0, extended=0,
        patrol=2, self_fixed=0, third_party=1, overdue=2, repeats=0, high_deduction=2, rework=0,
        points=10.0, rates=rates(0.333333, 0.0, 0.0, 0.0, 0.4, 0.0, 0.2), score=97.33, rank=2,
        previous_rank=None, score_change=None)
    # 环卫所 (the world's department) had no task: 无数据, listed last, not first with 100.
    assert cells(t.departments["环卫所"]) == figures(
        "department", t.world.department.pk, "环卫所", registered=0, due=0, closed=0,
        on_time=0, extended=0, patrol=0, self_fixed=0, third_party=0, overdue=0, repeats=0,
        high_deduction=0, rework=0, points=0.0, rates=NO_RATES, score=None, rank=None,
        previous_rank=None, score_change=None, has_data=False)
    assert list(t.departments) == ["城管中队", "市政所", "环卫所"]
    oct_ranks = {n: (r.rank, r.score) for n, r in t.october_departments.items()}
    assert oct_ranks == {"城管中队": (1, Decimal("138.50")), "市政所": (None, None),
                         "环卫所": (None, None)}


def test_the_road_of_november_by_hand(november):
    t = november
    # 中山路: T13, an inspector's find on the road, open and overdue. registered 1, due 1,
    # third party 1, overdue 1; points 2 + its late half 1 = 3. rates: 0/1, 0/1, none (nothing
    # closed), 0/1, 0/1, 0/1, 1/1. score 100 - 15 - 1 - 1.5 = 82.50, first of one. October: none.
    assert cells(t.roads["中山路"]) == figures(
        "road", t.world.road.pk, "中山路", registered=1, due=1, closed=0, on_time=0, extended=0,
        patrol=0, self_fixed=0, third_party=1, overdue=1, repeats=0, high_deduction=0,
        rework=0, points=3.0, rates=rates(0.0, 0.0, None, 0.0, 0.0, 0.0, 1.0), score=82.5,
        rank=1, previous_rank=None, score_change=None)
    assert list(t.roads) == ["中山路"]


def test_the_street_s_only_community_and_grid_have_the_same_figures(november):
    skip = ("level", "unit_id", "name")
    for street, community, grid in (("东街道", "一社区", "一号网格"),
                                    ("西街道", "二社区", "二号网格")):
        s = {k: v for k, v in cells(november.streets[street]).items() if k not in skip}
        for row in (november.communities[community], november.grids[grid]):
            assert {k: v for k, v in cells(row).items() if k not in skip} == s


def test_a_later_reading_of_november_gives_the_same_figures(november):
    """Closing T9 in time and T13 late in December, and a scheme left alone, change nothing in
    November; T13's late half is not charged again in December."""
    t = november
    with time_machine.travel(at(2026, 12, 3, 10, 0), tick=False):
        services.task_verify(task=t.T9, actor=t.world.inspector.user, approved=True)
        t13 = services.task_start(task=t.T13, actor=t.grid1b.user)
        t13 = services.task_submit(task=t13, actor=t.grid1b.user, photos=[_photo()])
        services.task_verify(task=t13, actor=t.world.inspector.user, approved=True)
        again = {r.name: r for r in evaluation.evaluate(MONTH, "street")}
        departments = {r.name: r for r in evaluation.evaluate(MONTH, "department")}
        december = {r.name: r for r in evaluation.evaluate("2026-12", "street")}
    for name in ("东街道", "西街道"):
        assert again[name].as_dict() == november.streets[name].as_dict()
    for name in ("城管中队", "市政所", "环卫所"):
        assert departments[name].as_dict() == november.departments[name].as_dict()
    # December so far (provisional): nothing registered; due: T9 and T13 (closed in December),
    # T11 (deadline Dec 2, passed, open: overdue, a self-found task late: half its 2 points).
    # T13's late half was November's.
    d = december["东街道"]
    assert (d.registered, d.due, d.closed, d.overdue, d.points) == (0, 3, 2, 1, Decimal("1"))


def test_rates_and_scores_round_half_up():
    """四舍五入, as the review meeting counts (and as PostgreSQL rounds), not to even."""
    assert evaluation.rate(1, 128) == 0.007813  # 0.0078125
    assert evaluation.rate(2, 3) == 0.666667 and evaluation.rate(5, 0) is None
    row = evaluation.Row(level="street", unit_id=1, name="x", points=Decimal("0.75"))
    # 100 - 0.5 x 0.75 = 99.625: 99.63 (rounding to even would give 99.62).
    assert evaluation.score(row, EvaluationScheme(name="default")) == Decimal("99.63")


def _photo():
    from tests.evaluation.conftest import photo

    return photo()
