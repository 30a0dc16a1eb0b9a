"""The map's hotspots layer: each hotspot's link to its tasks is the one ``tasks_url`` writes
(the list's address is reversed once per layer), and the hotspots are those of the reading
before the rows were read by a subquery (``tests/evaluation/test_report_identical.py``)."""

from __future__ import annotations

from datetime import timedelta

from gridmgmt import clock
from tasks_app import selectors
from tasks_app.console import mapdata
from tasks_app.console.dashboard import HOTSPOT_DAYS
from tasks_app.console.links import tasks_url
from tests.evaluation.test_report_identical import _old_repeat_hotspots

from .conftest import g1_point, report


def test_each_hotspot_links_to_its_tasks_as_tasks_url_writes_it(world, wednesday):
    spots = [[report(world, point) for _ in range(n)]
             for point, n in ((world.point_g1, 4), (g1_point(3), 3), (world.point_g2, 3))]
    for who in (world.supervisor, world.street_leader):
        now = clock.now()
        layer = mapdata.hotspots_layer(who.user, now)
        old = _old_repeat_hotspots(since=now - timedelta(days=HOTSPOT_DAYS),
                                   tasks=selectors.tasks_visible_to(who.user, at=now))
        assert [f["id"] for f in layer["features"]] == [h.latest_id for h in old]
        assert [f["properties"]["url"] for f in layer["features"]] == [
            tasks_url(id__in=",".join(map(str, h.task_ids))) for h in old]
    assert len(layer["features"]) == 2  # the street leader's: both in street S1
    assert {t.pk for t in spots[0]} == set(old[0].task_ids)
