"""The console speaks zh-hans: no raw level codes and no English model, field or widget names
on the task list and the pages around it."""

from __future__ import annotations

import json
import re

from tasks_app.console.filters import EscalationLevelFilter
from tasks_app.models import Task

from .conftest import g1_point, report

LEVELS = ["无", "黄灯预警", "一级", "二级", "三级(督办)"]
ENGLISH = ["Submissions", "Choose all", "Uploaded by", "UPLOADED BY", "Model name", "Add link",
           "Change or view list link"]


def _text(html: str) -> str:
    return re.sub(r"<script.*?</script>", "", html, flags=re.S)


def test_the_task_list_names_the_escalation_levels_in_chinese(supervisor_client, world):
    report(world, g1_point(0))
    html = _text(supervisor_client.get("/admin/tasks_app/task/").content.decode())
    for label in LEVELS:
        assert f">{label}</a>" in html
    for english in ENGLISH:
        assert english not in html
    # The filter's choices are words, not the stored -1..3.
    choices = re.findall(r'href="\?escalation_level__exact=(-?\d)"[^>]*>([^<]+)<', html)
    assert [label for _value, label in choices] == LEVELS


def test_the_level_filter_keeps_its_links_and_filters(supervisor_client, world):
    first, second = report(world, g1_point(0)), report(world, g1_point(1))
    Task.objects.filter(pk=second.pk).update(escalation_level=3)
    html = supervisor_client.get("/admin/tasks_app/task/?escalation_level__exact=3"
                                 ).content.decode()
    assert second.code in html and first.code not in html
    assert EscalationLevelFilter.parameter_name == "escalation_level__exact"


def test_the_console_index_and_a_task_page_show_no_english_names(supervisor_client, world):
    task = report(world, g1_point(0))
    for url in ["/admin/", f"/admin/tasks_app/task/{task.pk}/change/"]:
        html = _text(supervisor_client.get(url).content.decode())
        for english in ENGLISH:
            assert english not in html, (url, english)


def test_the_widgets_scripts_are_translated(supervisor_client):
    # SelectFilter's "Choose all" and the other widget texts come from the admin's JS catalog.
    script = supervisor_client.get("/admin/jsi18n/").content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});", script, re.S).group(1))
    assert catalog["Choose all"] == "全选"


def test_the_login_lockout_records_are_named_in_chinese(admin_client):
    html = _text(admin_client.get("/admin/").content.decode())
    assert "登录锁定" in html and "登录失败记录" in html
    assert "Axes" not in html and "Access attempts" not in html
    page = admin_client.get("/admin/axes/accessattempt/").content.decode()
    assert page.count("登录失败记录") >= 1 and "Attempt Time" not in page
