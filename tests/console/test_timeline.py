"""A task's history in words (tasks_app/timeline.py), with the escalation levels it crossed and
the alerts sent about it interleaved by time, on the console's workbench, the phone's task page
and the API's events endpoint; a sweep that escalates writes nothing to the task itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from gridmgmt import clock
from tasks_app import escalation, notify, services
from tasks_app.models import Escalation, Notification, Source, Task, TaskEvent
from tasks_app.timeline import ALERTED, ESCALATED, timeline

from .conftest import g1_point, report, staff

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def texts(task: Task) -> list[str]:
    with translation.override("en"):
        return [e.text for e in timeline(task)]


def assigned(world, i: int = 0) -> Task:
    return report(world, g1_point(i))


def escalated_to_level_2(task: Task) -> Task:
    """Put the task's thresholds behind it (yellow, deadline and one time limit past) and run
    the sweep, as the beat would."""
    now = clock.now()
    Task.objects.filter(pk=task.pk).update(
        yellow_at=now - timedelta(hours=6), deadline=now - timedelta(hours=5),
        level2_at=now - timedelta(hours=1), level3_at=now + timedelta(hours=10),
        next_escalation_at=now - timedelta(hours=1))
    escalation.sweep(now)
    return Task.objects.get(pk=task.pk)


# -- sentences --------------------------------------------------------------------------------

def test_it_tells_a_reassignment_with_the_new_and_the_previous_assignee(world):
    task = services.task_assign(task=assigned(world), actor=world.supervisor.user,
                                assignee=world.handler, note="转环卫所")
    assert texts(task)[-1] == "supervisor reassigned it to handler (was: grid1)"
    (entry,) = [e for e in timeline(task) if e.kind == TaskEvent.Kind.REASSIGNED]
    assert entry.data["note"] == "转环卫所"  # shown beneath the sentence


def test_it_tells_an_extension_request_with_its_date_and_reason(world):
    task = assigned(world)
    until = task.deadline + timedelta(days=2)
    task = services.task_request_extension(task=task, actor=world.grid_officer.user,
                                           until=until, reason="等待环卫车辆")
    task = services.task_decide_extension(task=task, actor=world.supervisor.user,
                                          approved=False, note="时限足够")
    with translation.override("en"):
        when = date_format(timezone.localtime(until), "SHORT_DATETIME_FORMAT")
    assert texts(task)[-2:] == [
        f"grid1 asked for an extension until {when}, reason: 等待环卫车辆",
        f"supervisor refused the extension until {when}, reason: 时限足够",
    ]


def test_it_tells_holds_voids_corrections_plans_and_urges(world):
    task = services.task_hold(task=assigned(world), actor=world.supervisor.user,
                              reason="等待施工")
    task = services.task_resume(task=task, actor=world.supervisor.user)
    task = services.task_set_plan(task=task, actor=world.supervisor.user, plan="今日清运")
    task = services.task_correct(task=task, actor=world.supervisor.user, reason="实为群众投诉",
                                 source=Source.CITIZEN)
    task = services.task_urge(task=task, actor=world.supervisor.user)
    assert texts(task)[-6:] == [
        "supervisor put it on hold, reason: 等待施工",
        "supervisor resumed it (Assigned)",
        "supervisor wrote the plan",
        "supervisor corrected the record: changed the source from Patrol (主动发现) to Citizen "
        "complaint, reason: 实为群众投诉",
        "supervisor urged grid1 (reminder 1)",
        "Reminder waiting to be sent to the assignee grid1",
    ]
    void = services.task_void(task=report(world, g1_point(1), category=_manual(world)),
                              actor=world.supervisor.user, reason="重复登记")
    assert texts(void)[-1] == "supervisor voided the report, reason: 重复登记"


def _manual(world):
    from tests import factories as f

    return f.CategoryFactory(code="AD", name="乱贴广告", auto_dispatch=False)


def test_no_raw_data_reaches_a_sentence(world):
    task = services.task_assign(task=assigned(world), actor=world.supervisor.user,
                                assignee=world.handler)
    for text in texts(task):
        assert "{" not in text and "_" not in text and "None" not in text, text


# -- escalations and alerts ---------------------------------------------------------------------

def test_a_sweep_puts_the_levels_crossed_and_the_alerts_in_the_history(world):
    task = assigned(world)
    version, events = task.version, task.events.count()

    task = escalated_to_level_2(task)

    # Nothing of the task's own record changed: an officer's pending update still applies.
    assert task.version == version and task.events.count() == events
    assert Escalation.objects.filter(task=task).count() == 3
    lines = texts(task)
    assert "Yellow warning: the deadline is near" in lines
    assert "Escalated to Level 1: the deadline has passed" in lines
    assert "Escalated to Level 2: still not fixed long after the deadline" in lines
    waiting = [t for t in lines if t.startswith("Alert of Level 2 waiting to be sent to")]
    assert waiting == ["Alert of Level 2 waiting to be sent to the assignee grid1, "
                       "Community head (first responsible person) commhead, "
                       "Street leader streetlead"]

    Notification.objects.filter(recipient=world.community_head).update(email="")
    notify.send_pending()
    lines = texts(task)
    assert ("Alert of Level 2 sent to the assignee grid1, Street leader streetlead"
            in lines)
    assert ("Alert of Level 2 not sent to Community head (first responsible person) commhead "
            "(no e-mail address)" in lines)
    kinds = [e.kind for e in timeline(task)]
    assert kinds.index(ESCALATED) < kinds.index(ALERTED)  # by time: crossed, then told
    assert Task.objects.get(pk=task.pk).version == version


def test_a_repeat_escalates_at_once_and_says_why(world):
    first = assigned(world)
    again = report(world, (first.lng + 0.0001, first.lat))
    assert again.repeat_of_id == first.pk
    lines = texts(again)
    assert lines[0].startswith("inspector reported it; occurrence 2 at this place")
    assert "Escalated to Level 1: the problem came back at this place" in lines


# -- where the history is shown -----------------------------------------------------------------

def test_the_workbench_shows_the_escalations_and_alerts(supervisor_client, world):
    task = escalated_to_level_2(assigned(world))
    html = supervisor_client.get(reverse("admin:tasks_app_task_change", args=[task.pk]),
                                 **EN).content.decode()
    assert html.count('data-kind="escalated"') == 3
    assert 'data-kind="alerted"' in html
    assert "Street leader streetlead" in html


def test_the_phone_page_shows_them_too(client, world):
    task = escalated_to_level_2(assigned(world))
    client.force_login(world.grid_officer.user)
    html = client.get(reverse("mobile:task", args=[task.pk]), **EN).content.decode()
    assert "Escalated to Level 2: still not fixed long after the deadline" in html
    assert "Alert of Level 2 waiting to be sent to the assignee grid1" in html
    assert "inspector reported it; dispatched automatically" in html


@pytest.fixture
def api(client, world):
    client.force_login(world.supervisor.user)
    return client


def test_the_events_endpoint_keeps_its_events_and_adds_the_ladder_when_asked(api, world):
    task = escalated_to_level_2(assigned(world))
    url = f"/api/v1/tasks/{task.pk}/events/"
    plain = api.get(url, **EN).json()
    assert [e["kind"] for e in plain] == ["reported"]
    assert set(plain[0]) == {"id", "kind", "kind_display", "actor", "actor_name", "from_status",
                             "to_status", "note", "extra", "version", "created_at", "text"}
    assert plain[0]["text"] == "inspector reported it; dispatched automatically"

    full = api.get(url + "?include=escalations", **EN).json()
    assert [e["kind"] for e in full] == ["reported", "escalated", "escalated", "escalated",
                                         "alerted"]
    assert full[0] == plain[0]
    ladder = full[1:]
    assert all(e["id"] is None and e["version"] is None for e in ladder)
    assert [e["extra"]["level"] for e in ladder] == [0, 1, 2, 2]
    assert {r["name"] for r in ladder[-1]["extra"]["recipients"]} == {
        "grid1", "commhead", "streetlead"}
    assert ladder[-1]["extra"]["status"] == "pending"
    # Reading the ladder changes nothing: the ETag an officer holds is still good.
    detail = api.get(f"/api/v1/tasks/{task.pk}/")
    assert detail["ETag"] == f'"{task.version}"'


def test_the_schema_documents_the_include_parameter(client):
    schema = client.get("/api/schema/?format=json").json()
    params = schema["paths"]["/api/v1/tasks/{id}/events/"]["get"]["parameters"]
    assert any(p["name"] == "include" and p["schema"]["enum"] == ["escalations"] for p in params)


def test_another_streets_leader_sees_no_history(client, world):
    task = escalated_to_level_2(assigned(world))
    client.force_login(staff(world.other_street_leader))
    assert client.get(f"/api/v1/tasks/{task.pk}/events/?include=escalations").status_code == 404


def test_a_report_and_the_escalation_of_its_repeat_share_one_moment(world):
    """The report's event is dated the report's moment, like the repeat's escalation rows, so the
    history reads report then escalation even when the clock crosses a second in between (the
    clock runs here: nothing is frozen)."""
    first = assigned(world)
    again = report(world, (first.lng + 0.0001, first.lat))
    event = again.events.get(kind="reported")
    crossed = set(again.escalations.values_list("crossed_at", flat=True))
    assert crossed == {again.reported_at} and event.created_at == again.reported_at
