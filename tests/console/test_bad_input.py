"""NUL characters typed into the console are refused like everywhere else (Django's forms refuse
them in text; tasks_app/inputs.py in dates): the form says why and nothing changes."""

from __future__ import annotations

from django.urls import reverse

from gridmgmt.models import Region
from tasks_app.models import Task

from .conftest import g1_point, report

CHANGELIST = reverse("admin:tasks_app_task_changelist")


def test_a_nul_byte_in_a_reassignment_note_is_refused_and_changes_nothing(supervisor_client,
                                                                          world):
    task = report(world, g1_point(0))
    response = supervisor_client.post(CHANGELIST, {
        "action": "reassign", "_selected_action": [task.pk], "apply": "1",
        "assignee": world.other_grid_officer.pk, "note": "换人\x00处理"})
    assert response.status_code == 200
    assert "note" in response.context["form"].errors
    after = Task.objects.get(pk=task.pk)
    assert (after.assignee, after.version) == (world.grid_officer, task.version)


def test_a_nul_byte_in_reference_data_is_refused_and_changes_nothing(admin_client, world):
    url = reverse("admin:gridmgmt_region_change", args=[world.street1.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data["parent"] = world.district.pk
    data["name"] = "东街\x00道"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert Region.objects.get(pk=world.street1.pk).name == "东街道"


def test_a_nul_byte_in_the_console_search_is_not_a_server_error(supervisor_client, world):
    report(world, g1_point(0))
    response = supervisor_client.get(CHANGELIST, {"q": "垃圾\x00"})
    assert response.status_code < 500


def test_a_place_filter_that_is_no_id_is_the_invalid_lookup_page_not_a_500(supervisor_client,
                                                                          world):
    report(world, g1_point(0))
    for param in ("community", "grid"):
        for value in ("\x00", "abc", "1\x00"):
            response = supervisor_client.get(CHANGELIST, {param: value})
            assert response.status_code == 302, (param, value)
            assert "e=1" in response["Location"]
    assert supervisor_client.get(CHANGELIST, {"grid": world.grid1.pk}).status_code == 200
