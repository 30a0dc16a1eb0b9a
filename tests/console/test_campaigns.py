"""Campaign progress on the campaign list and page: tasks open, overdue and closed on time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridmgmt import clock
from gridmgmt.models import Role
from tasks_app.models import Campaign, Task
from tests import factories as f

from .conftest import close, g1_point, g2_point, red, report, staff

LIST = reverse("admin:tasks_app_campaign_changelist")
EN = {"headers": {"accept-language": "en"}}


def _campaign(world, name: str) -> Campaign:
    today = clock.now().date()
    return Campaign.objects.create(name=name, lead_department=world.department,
                                   starts_on=today - timedelta(days=5),
                                   deadline=today + timedelta(days=25))


@pytest.fixture
def campaign(world):
    c = _campaign(world, "垃圾满溢专项整治")
    tasks = [report(world, g1_point(i), campaign=c) for i in range(4)]
    red(tasks[0])
    close(world, tasks[1], world.grid_officer)
    late = close(world, tasks[2], world.grid_officer)
    Task.objects.filter(pk=late.pk).update(closed_late=True)
    report(world, g2_point(0), campaign=c)  # street S2: open, within time
    report(world, g2_point(1))  # in no campaign
    return c


def _row(client, campaign: Campaign) -> Campaign:
    response = client.get(LIST, **EN)
    return next(c for c in response.context["cl"].result_list if c.pk == campaign.pk)


def test_the_list_counts_open_overdue_and_closed_on_time(supervisor_client, campaign):
    row = _row(supervisor_client, campaign)
    assert (row.n_all, row.n_open, row.n_overdue, row.n_on_time, row.n_late) == (5, 3, 1, 1, 1)
    body = supervisor_client.get(LIST, **EN).content.decode()
    assert "3 open" in body and "1 overdue" in body and "1 of 2 closed on time" in body


def test_a_street_leader_counts_the_tasks_of_their_street(street_leader_client, campaign):
    row = _row(street_leader_client, campaign)
    assert (row.n_all, row.n_open) == (4, 2)


def test_the_campaign_page_shows_its_progress_with_links(supervisor_client, campaign):
    page = supervisor_client.get(reverse("admin:tasks_app_campaign_change",
                                         args=[campaign.pk]), **EN)
    body = page.content.decode()
    assert "campaign-progress" in body and "On-time rate" in body and "50%" in body
    # The progress heads the page, above the campaign's fields (read-only for a supervisor:
    # campaigns are reference data, the bureau administrators').
    assert body.index("campaign-progress") < body.index("field-name")
    assert 'name="name"' not in body
    overdue = reverse("admin:tasks_app_task_changelist") + \
        f"?campaign__id__exact={campaign.pk}&amp;progress=overdue"
    assert overdue in body
    listed = supervisor_client.get(overdue.replace("&amp;", "&"))
    assert listed.context["cl"].result_count == 1


def test_a_new_campaign_page_has_no_progress_yet(client, world):
    officer = f.OfficerFactory(user=f.UserFactory(username="bureau"), name="bureau")
    f.DutyFactory(officer=officer, role=Role.BUREAU_ADMIN, region=world.district)
    client.force_login(staff(officer))
    page = client.get(reverse("admin:tasks_app_campaign_add"), **EN)
    assert page.status_code == 200
    assert "campaign-progress" not in page.content.decode()


def test_the_list_queries_do_not_grow_with_campaigns(supervisor_client, world, campaign):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert supervisor_client.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    for i in range(4):
        other = _campaign(world, f"专项{i}")
        report(world, g2_point(2 + i), campaign=other)
    assert queries() == before
