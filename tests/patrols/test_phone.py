"""The patrol pages under /m/patrol/ through the test client: who sees them, the check-in
endpoint's answers, and a report made on the phone during a patrol linked to it."""

from __future__ import annotations

from django.urls import reverse

from tasks_app.models import Task
from tasks_app.patrols.models import CheckIn, Patrol, PatrolFinding
from tests.mobile.conftest import photo


def _login(client, officer):
    client.force_login(officer.user)
    return client


def test_a_road_chief_starts_checks_in_and_ends_on_the_phone(client, world):
    c = _login(client, world.road_chief)
    assert c.get(reverse("patrols:home")).status_code == 200
    r = c.post(reverse("patrols:start"))
    patrol = Patrol.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("patrols:patrol", args=[patrol.pk])
    page = c.get(r["Location"])
    assert b"patrol.js" in page.content and b"data-check-in" in page.content
    url = reverse("patrols:check-in", args=[patrol.pk])
    r = c.post(url, {"lng": "120.005", "lat": "30.00505", "accuracy": "5", "key": "abcdefgh1"},
               HTTP_X_UPLOAD="1")
    assert r.status_code == 200 and r.json()["check_ins"] == 1
    assert set(r.json()["places"]) == {"中山路", "G1 一号网格"}
    again = c.post(url, {"lng": "120.005", "lat": "30.00505", "key": "abcdefgh1"})
    assert again.json()["replayed"] and CheckIn.objects.count() == 1
    r = c.post(reverse("patrols:end", args=[patrol.pk]))
    assert r.status_code == 302
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.ENDED
    summary = c.get(reverse("patrols:patrol", args=[patrol.pk])).content.decode()
    assert "中山路" in summary and "patrol.js" not in summary
    refused = c.post(url, {"lng": "120.005", "lat": "30.00505"})
    assert refused.status_code == 409 and refused.json()["code"] == "conflict"


def test_bad_check_ins_are_refused_with_nothing_written(client, world):
    c = _login(client, world.grid_officer)
    c.post(reverse("patrols:start"))
    url = reverse("patrols:check-in", args=[Patrol.objects.get().pk])
    for data in ({"lng": "120\x00", "lat": "30"}, {"lng": "200", "lat": "30"},
                 {"lng": "120", "lat": "30", "at": "2026-01-01T00:00\x00"}, {"lat": "30"}):
        assert c.post(url, data).status_code == 400
    assert not CheckIn.objects.exists()


def test_others_cannot_open_or_use_a_patrol(client, world):
    _login(client, world.road_chief).post(reverse("patrols:start"))
    patrol = Patrol.objects.get()
    c = _login(client, world.grid_officer)
    assert c.get(reverse("patrols:patrol", args=[patrol.pk])).status_code == 404
    r = c.post(reverse("patrols:check-in", args=[patrol.pk]), {"lng": "120.005",
                                                               "lat": "30.005"})
    assert r.status_code == 404 and not CheckIn.objects.exists()
    leader = _login(client, world.street_leader)
    assert leader.get(reverse("patrols:home")).status_code == 403
    assert leader.post(reverse("patrols:start")).status_code in (302, 403)
    assert Patrol.objects.count() == 1


def test_a_problem_reported_on_the_phone_during_a_patrol_is_linked(client, world):
    c = _login(client, world.road_chief)
    c.post(reverse("patrols:start"))
    lng, lat = world.point_g1
    r = c.post(reverse("mobile:report"), {
        "key": "report-key-1", "category": world.category.pk, "lng": lng, "lat": lat,
        "photos": photo(), "description": "垃圾满溢"})
    assert r.status_code == 302
    task = Task.objects.get()
    finding = PatrolFinding.objects.get()
    assert finding.task == task and finding.patrol == Patrol.objects.get()
    assert finding.check_in.kind == CheckIn.Kind.PROBLEM
