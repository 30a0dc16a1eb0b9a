"""The public board (公示): what it counts (the published sources and every closed result, never
a void report), the time limits it shows, results with metadata-free after photos, the
published ranking only, and bad input refused."""

from __future__ import annotations

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tasks_app import services
from tasks_app.evaluation_services import decision_add, evaluation_publish, review_write
from tasks_app.models import Decision, Photo, Source
from tests import factories as f
from tests.evaluation.conftest import photo
from tests.evaluation.story import bureau_admin
from tests.exif import has_gps_or_camera, jpeg_with_gps
from tests.gridmgmt.calendars import at

NOV = at(2026, 11, 10, 10, 0)
DEC = at(2026, 12, 3, 10, 0)


pytestmark = pytest.mark.usefixtures("fresh_cache", "zh_hans")


def report(w, source, where=None, when=NOV):
    lng, lat = where or w.point_g1
    with time_machine.travel(when, tick=False):
        return services.task_report(reporter=w.inspector.user, category=w.category,
                                    lng=lng, lat=lat, source=source,
                                    title=f"{source} title", description="inside text")


def close(task, when=NOV, photos=None):
    with time_machine.travel(when, tick=False):
        task = services.task_start(task=task, actor=task.assignee.user, plan="inside plan")
        task = services.task_submit(task=task, actor=task.assignee.user,
                                    photos=photos or [photo()])
        return services.task_verify(task=task, actor=task.reporter, approved=True)


def board(client, unit, month="2026-11", language="zh-hans"):
    with time_machine.travel(DEC, tick=False):
        return client.get(reverse("public:board_unit", args=[unit.pk]), {"month": month},
                          HTTP_ACCEPT_LANGUAGE=language)


def figures(response) -> dict:
    f = response.context["totals"]
    return {k: f[k] for k in ("reported", "open", "closed", "on_time")}


def test_the_index_lists_the_districts_without_login(client, world):
    response = client.get(reverse("public:board"))
    assert response.status_code == 200
    assert world.district.name in response.content.decode()
    assert reverse("public:board_unit", args=[world.district.pk]) in response.content.decode()


def test_it_counts_published_sources_and_closed_results_never_void_or_open_patrol(client, world):
    w = world
    report(w, Source.CITIZEN)                      # open citizen report: shown
    close(report(w, Source.HOTLINE))               # closed hotline report: shown, on time
    report(w, Source.PATROL)                       # open patrol find: internal
    close(report(w, Source.PATROL))                # a closed result: shown whatever found it
    report(w, Source.MEDIA, where=w.point_g2)      # open media report in street 2: shown
    response = board(client, w.district)
    assert response.status_code == 200
    assert figures(response) == {"reported": 4, "open": 2, "closed": 2, "on_time": 2}
    (row,) = response.context["figures"]
    assert (row["category"], row["time_limit"]) == ("垃圾满溢", w.category.time_limit)
    assert "工作" in row["time_unit_label"] or "小时" in row["time_unit_label"]
    # A street sees only its own grids: G2 is in street 2.
    assert figures(board(client, w.street2)) == {"reported": 1, "open": 1, "closed": 0,
                                                 "on_time": 0}
    assert len(board(client, w.community1).context["markers"]) == 3


def test_a_void_report_is_not_counted_and_its_page_is_not_found(client, world):
    w = world
    w.category.auto_dispatch = False  # reports wait for a supervisor, who may void them
    w.category.save()
    task = report(w, Source.CITIZEN)
    assert task.status == "reported"
    with time_machine.travel(NOV, tick=False):
        services.task_void(task=task, actor=w.supervisor.user, reason="duplicate call")
    assert figures(board(client, w.district))["reported"] == 0
    assert client.get(reverse("public:board_result", args=[task.pk])).status_code == 404


def test_the_settings_decide_what_is_public(client, world, settings):
    w = world
    report(w, Source.CITIZEN)
    close(report(w, Source.PATROL))
    settings.PUBLIC_SHOW_CLOSED_RESULTS = False
    assert figures(board(client, w.district))["reported"] == 1
    settings.PUBLIC_SOURCES = ["hotline"]
    assert figures(board(client, w.district))["reported"] == 0
    settings.PUBLIC_SHOW_CLOSED_RESULTS = True
    assert figures(board(client, w.district)) == {"reported": 1, "open": 0, "closed": 1,
                                                  "on_time": 1}


def test_a_late_closure_is_closed_but_not_on_time(client, world):
    w = world
    task = report(w, Source.CITIZEN)
    close(task, when=at(2026, 11, 25, 10, 0))  # a 4-hour limit, fixed two weeks later
    assert figures(board(client, w.district)) == {"reported": 1, "open": 0, "closed": 1,
                                                  "on_time": 0}


def test_a_result_shows_its_after_photo_without_metadata_and_no_inside_text(client, world):
    w = world
    upload = SimpleUploadedFile("after.jpg", jpeg_with_gps(), content_type="image/jpeg")
    task = close(report(w, Source.CITIZEN), photos=[upload])
    after = Photo.objects.get(task=task, kind=Photo.Kind.AFTER)
    with after.image.open("rb") as f:
        assert has_gps_or_camera(f.read())  # the stored original keeps its evidence
    response = board(client, w.district)
    (result,) = response.context["results"]
    assert result["photos"] == [after.pk]
    page = client.get(reverse("public:board_result", args=[task.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert reverse("public:board_photo", args=[after.pk]) in text
    assert "inside text" not in text and "citizen title" not in text
    image = client.get(reverse("public:board_photo", args=[after.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert not has_gps_or_camera(image.content)


def test_only_after_photos_of_public_results_are_served(client, world):
    w = world
    done = close(report(w, Source.CITIZEN))
    running = report(w, Source.CITIZEN)
    with time_machine.travel(NOV, tick=False):
        running = services.task_start(task=running, actor=running.assignee.user, plan="p")
        running = services.task_submit(task=running, actor=running.assignee.user,
                                       photos=[photo()])
    with time_machine.travel(NOV, tick=False):
        before = services.task_report(reporter=w.inspector.user, category=w.category,
                                      lng=w.point_g1[0], lat=w.point_g1[1], source="citizen",
                                      photos=[photo()])
    served = Photo.objects.get(task=done, kind=Photo.Kind.AFTER)
    waiting = Photo.objects.get(task=running, kind=Photo.Kind.AFTER)
    sent = Photo.objects.get(task=before)
    assert client.get(reverse("public:board_photo", args=[served.pk])).status_code == 200
    for pk in (waiting.pk, sent.pk, 999999):
        assert client.get(reverse("public:board_photo", args=[pk])).status_code == 404
    assert client.get(reverse("public:board_result", args=[running.pk])).status_code == 404


def test_the_photos_of_a_fix_sent_back_for_rework_are_never_published(client, world):
    w = world
    task = report(w, Source.CITIZEN)
    with time_machine.travel(at(2026, 11, 10, 11, 0), tick=False):
        task = services.task_start(task=task, actor=task.assignee.user, plan="p")
        task = services.task_submit(task=task, actor=task.assignee.user, photos=[photo()])
    with time_machine.travel(at(2026, 11, 10, 12, 0), tick=False):
        task = services.task_verify(task=task, actor=task.reporter, approved=False,
                                    note="still broken")
    with time_machine.travel(at(2026, 11, 11, 9, 0), tick=False):
        task = services.task_submit(task=task, actor=task.assignee.user, photos=[photo()])
    with time_machine.travel(at(2026, 11, 11, 10, 0), tick=False):
        task = services.task_verify(task=task, actor=task.reporter, approved=True)
    refused, accepted = Photo.objects.filter(task=task, kind=Photo.Kind.AFTER).order_by(
        "created_at")
    (result,) = board(client, w.district).context["results"]
    assert result["photos"] == [accepted.pk]
    page = client.get(reverse("public:board_result", args=[task.pk]))
    assert page.context["result"]["photos"] == [accepted.pk]
    assert client.get(reverse("public:board_photo", args=[accepted.pk])).status_code == 200
    assert client.get(reverse("public:board_photo", args=[refused.pk])).status_code == 404
    # The citizen's page of the problem shows the same photos.
    from tasks_app.public.citizen_selectors import result_photos
    assert result_photos(task) == [accepted.pk]


def test_bad_input_is_refused(client, world):
    url = reverse("public:board_unit", args=[world.district.pk])
    with time_machine.travel(DEC, tick=False):
        assert client.get(url, {"month": "2026-13"}).status_code == 400
        assert client.get(url, {"month": "junk"}).status_code == 400
        assert client.get(url, {"month": "2027-01"}).status_code == 404
        assert client.get(reverse("public:board_unit", args=[999999])).status_code == 404
        assert client.post(url).status_code == 405


def test_only_a_published_ranking_is_shown_with_its_review(client, world):
    w = world
    close(report(w, Source.CITIZEN))
    response = board(client, w.district, "2026-12")
    assert response.context["ranking"] is None  # November is not published: nothing live
    admin = bureau_admin(w)
    with time_machine.travel(DEC, tick=False):
        evaluation_publish(month="2026-11", actor=admin)
        review_write(month="2026-11", level="street", unit_id=w.street1.pk, actor=admin,
                     comment="东街道按期结案，予以表扬")
        decision_add(month="2026-11", level="street", unit_id=w.street1.pk, actor=admin,
                     kind=Decision.Kind.PRAISE, reason="全区通报表扬")
    cache.clear()
    response = board(client, w.district, "2026-12")
    ranking = response.context["ranking"]
    assert ranking.month == "2026-11" and ranking.level == "street"
    assert {r["name"] for r in ranking.rows} == {w.street1.name, w.street2.name}
    assert "东街道按期结案，予以表扬" in response.content.decode()
    praise = str(Decision.Kind.PRAISE.label)
    assert f"{praise}: 全区通报表扬" in response.content.decode()
    # The cached board names the decision in each reader's language.
    english = board(client, w.district, "2026-12", language="en").content.decode()
    assert "Praise: 全区通报表扬" in english
    # A street's board ranks its communities and shows its own place.
    street = board(client, w.street1, "2026-12").context["ranking"]
    assert [r["unit_id"] for r in street.rows] == [w.community1.pk]
    assert street.unit_row["unit_id"] == w.street1.pk


def test_the_board_is_cached_per_unit_and_month(client, world):
    w = world
    report(w, Source.CITIZEN)
    assert figures(board(client, w.district))["reported"] == 1
    report(w, Source.CITIZEN, where=w.point_g2)
    assert figures(board(client, w.district))["reported"] == 1  # the cached board
    assert figures(board(client, w.street2))["reported"] == 1   # another unit: computed now
    cache.clear()
    assert figures(board(client, w.district))["reported"] == 2


def _queries(client, url) -> int:
    cache.clear()
    with time_machine.travel(DEC, tick=False), CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_each_page_costs_the_same_queries_however_many_tasks(client, world):
    """A board reads a fixed number of queries on a cache miss (none counts over all tasks),
    and only the place itself on a hit; a result page likewise."""
    w = world
    admin = bureau_admin(w)
    first = close(report(w, Source.CITIZEN))
    with time_machine.travel(DEC, tick=False):
        evaluation_publish(month="2026-11", actor=admin)
        review_write(month="2026-11", level="street", unit_id=w.street1.pk, actor=admin,
                     comment="点评")
    pages = [reverse("public:board_unit", args=[unit.pk]) + "?month=2026-11"
             for unit in (w.district, w.street1, w.community1)]
    result = reverse("public:board_result", args=[first.pk])
    before = [_queries(client, url) for url in [*pages, result]]
    other = f.CategoryFactory(code="BANNER", name="违规横幅", time_limit=2)
    for i in range(6):
        lng, lat = w.point_g1
        where = (lng - 0.0006 * (i + 1), lat - 0.002)
        task = report(w, (Source.CITIZEN, Source.HOTLINE, Source.MEDIA)[i % 3], where)
        if i % 2:
            close(task)
        with time_machine.travel(NOV, tick=False):
            services.task_report(reporter=w.inspector.user, category=other, lng=where[0],
                                 lat=where[1] + 0.001, source="citizen")
    after = [_queries(client, url) for url in [*pages, result]]
    assert after == before, (before, after)
    assert figures(board(client, w.district))["reported"] == 13  # the board did grow
    with time_machine.travel(DEC, tick=False), CaptureQueriesContext(connection) as hit:
        client.get(pages[0])  # cached by the call above
    assert len(hit.captured_queries) <= 2  # the place and its streets
    assert before[0] <= 15, before
