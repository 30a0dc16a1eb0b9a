"""The registration desk (立案) at /admin/desk/: a supervisor takes down a find by others; the
channel decides the source (authority's answer), the place is located to its grid and the task
dispatched as its category says; before saving, the open tasks of the same category nearby are
shown, and a second call about one of them is recorded on it instead of registered again."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tasks_app import services
from tasks_app.errors import DomainError
from tasks_app.models import Category, Photo, Source, Task, TaskEvent
from tasks_app.workflow import Status
from tests import factories as f

from .conftest import close, photo, report, staff

DESK = reverse("console:desk")
NEARBY = reverse("console:desk-nearby")
EN = {"headers": {"accept-language": "en"}}


def _form(world, **data) -> dict:
    lng, lat = world.point_g1
    return {"source": Source.HOTLINE, "category": world.category.pk, "lng": lng, "lat": lat,
            "address": "", "description": "市民来电：垃圾桶满了", "contact": "王先生 13800000000",
            "key": "desk-key-0001", "seen": "", **data}


def _written() -> tuple[int, int, int]:
    return Task.objects.count(), TaskEvent.objects.count(), Photo.objects.count()


def test_a_supervisor_registers_a_hotline_call_located_and_dispatched(supervisor_client,
                                                                      world):
    response = supervisor_client.post(DESK, _form(world))
    task = Task.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{DESK}?registered={task.pk}"
    assert (task.source, task.grid, task.road, task.reporter) == (
        Source.HOTLINE, world.grid1, world.road, world.supervisor.user)
    # The category dispatches automatically to the grid's officer, with a deadline.
    assert (task.status, task.assignee) == (Status.ASSIGNED, world.grid_officer)
    assert task.deadline is not None
    # The caller's contact is in the record of the call, not in the published description.
    assert "13800000000" not in task.description
    call = task.events.get(kind=TaskEvent.Kind.CALL_LINKED)
    assert call.extra == {"source": Source.HOTLINE, "contact": "王先生 13800000000"}
    page = supervisor_client.get(response["Location"]).content.decode()
    assert task.code in page and world.grid_officer.name in page


def test_the_channel_chosen_decides_the_source(supervisor_client, world):
    supervisor_client.post(DESK, _form(world, source=Source.CITY_INSPECTION, contact=""))
    task = Task.objects.get()
    assert task.source == Source.CITY_INSPECTION
    assert not task.events.filter(kind=TaskEvent.Kind.CALL_LINKED).exists()


def test_the_desk_offers_only_the_sources_authority_allows(supervisor_client):
    form = supervisor_client.get(DESK).context["form"]
    offered = [value for value, _label in form.fields["source"].choices]
    assert Source.HOTLINE in offered and Source.MEDIA in offered
    assert Source.PATROL not in offered and Source.INSPECTOR not in offered


@pytest.mark.parametrize("source", [Source.PATROL, Source.INSPECTOR, "made_up"])
def test_a_source_the_user_may_not_claim_is_refused_and_nothing_written(supervisor_client,
                                                                        world, source):
    before = _written()
    response = supervisor_client.post(DESK, _form(world, source=source))
    assert response.status_code == 400
    assert response.context["form"].errors["source"]
    assert _written() == before


def test_the_service_itself_refuses_a_desk_source_to_a_grid_officer(world):
    task = report(world, world.point_g1)
    with pytest.raises(DomainError) as exc:
        services.task_record_call(task=task, actor=world.grid_officer.user,
                                  source=Source.HOTLINE)
    assert exc.value.code == "forbidden"
    with pytest.raises(DomainError):
        services.task_report(reporter=world.grid_officer.user, category=world.category,
                             lng=world.point_g1[0], lat=world.point_g1[1],
                             source=Source.HOTLINE, channel="desk")


def test_a_grid_officer_gets_403(client, world):
    client.force_login(staff(world.grid_officer))
    before = _written()
    assert client.get(DESK).status_code == 403
    assert client.post(DESK, _form(world)).status_code == 403
    lng, lat = world.point_g1
    assert client.get(NEARBY, {"category": world.category.pk, "lng": lng,
                               "lat": lat}).status_code == 403
    assert _written() == before
    assert 'href="/admin/desk/"' not in client.get("/admin/").content.decode()


def test_the_nav_links_the_desk_for_those_who_may_register(supervisor_client):
    assert f'href="{DESK}"' in supervisor_client.get("/admin/").content.decode()


def test_a_street_leader_cannot_register_outside_their_street(street_leader_client, world):
    before = _written()
    lng, lat = world.point_g2
    response = street_leader_client.post(DESK, _form(world, lng=lng, lat=lat))
    assert response.status_code == 403
    assert response.context["form"].non_field_errors()
    assert _written() == before


@pytest.fixture
def around(world):
    """Near point_g1: one open task of the category, one closed; one open 300 m away; one of
    another category at the same place."""
    lng, lat = world.point_g1
    closed = close(world, report(world, (lng, lat)), world.grid_officer)
    open_ = report(world, (lng + 0.0001, lat))  # about 10 m east: a repeat of the closed one
    far = report(world, (lng + 0.003, lat))
    other = report(world, (lng, lat), category=f.CategoryFactory(code="AD", name="乱贴广告"))
    return {"open": open_, "closed": closed, "far": far, "other": other}


def test_the_preview_lists_the_open_task_of_the_category_nearby_only(supervisor_client, world,
                                                                     around):
    lng, lat = world.point_g1
    response = supervisor_client.get(NEARBY, {"category": world.category.pk, "lng": lng,
                                              "lat": lat}, **EN)
    body = response.json()
    assert response.status_code == 200
    assert body["ids"] == [around["open"].pk]
    assert body["grid"] == world.grid1.pk
    assert around["open"].code in body["html"]
    assert reverse("admin:tasks_app_task_change", args=[around["open"].pk]) in body["html"]
    for other in ("closed", "far", "other"):
        assert around[other].code not in body["html"]


def test_registering_without_having_seen_the_nearby_task_shows_it_first(supervisor_client,
                                                                        world, around):
    before = _written()
    response = supervisor_client.post(DESK, _form(world), **EN)
    assert response.status_code == 409
    assert _written() == before
    body = response.content.decode()
    assert around["open"].code in body
    assert f'name="link" value="{around["open"].pk}"' in body
    # Having seen it, the user may still register the call as a new task.
    seen = response.context["form"].data["seen"]
    assert seen == str(around["open"].pk)
    response = supervisor_client.post(DESK, _form(world, seen=seen))
    assert response.status_code == 302
    assert Task.objects.count() == before[0] + 1


def test_linking_records_the_call_on_the_existing_task_and_creates_none(supervisor_client,
                                                                        world, around):
    task = around["open"]
    tasks_before, version = Task.objects.count(), task.version
    response = supervisor_client.post(DESK, _form(
        world, link=task.pk, seen=str(task.pk), description="又一位市民来电",
        contact="李女士 13900000000"))
    assert response.status_code == 302
    assert response["Location"] == f"{DESK}?linked={task.pk}"
    assert Task.objects.count() == tasks_before
    task.refresh_from_db()
    assert task.version == version + 1
    event = task.events.latest("pk")
    assert (event.kind, event.actor, event.note, event.version) == (
        TaskEvent.Kind.CALL_LINKED, world.supervisor.user, "又一位市民来电", task.version)
    assert event.extra == {"source": Source.HOTLINE, "contact": "李女士 13900000000"}
    assert task.status == Status.ASSIGNED  # the call changes nothing else


def test_a_call_cannot_be_linked_to_a_closed_task_or_one_outside_the_scope(
        street_leader_client, world, around):
    before = _written()
    closed = street_leader_client.post(DESK, _form(world, link=around["closed"].pk))
    assert closed.status_code == 409
    elsewhere = report(world, world.point_g2)
    before = _written()
    response = street_leader_client.post(DESK, _form(world, link=elsewhere.pk, key="other-key-1"))
    assert response.status_code == 404
    assert _written() == before


@pytest.mark.parametrize("link", [False, True])
def test_sending_the_same_form_twice_saves_once(supervisor_client, world, around, link):
    data = _form(world, seen=str(around["open"].pk),
                 **({"link": around["open"].pk} if link else {}))
    first = supervisor_client.post(DESK, data)
    before = _written()
    second = supervisor_client.post(DESK, data)
    assert _written() == before
    assert second.status_code == 302
    assert second["Location"] == first["Location"] + "&again=1"


def _broken_photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("broken.jpg", b"\xff\xd8\xff\xe0 not really a jpeg",
                              content_type="image/jpeg")


@pytest.mark.parametrize(("data", "field"), [
    ({"lng": "", "lat": ""}, "address"),  # no place at all
    ({"lng": "", "lat": "", "address": "火星大道 1 号"}, "address"),  # an address we cannot place
    ({"category": 999999}, "category"),
    ({"category": ""}, "category"),
    ({"description": "垃圾\x00满了"}, "description"),
    ({"contact": "王\x00先生"}, "contact"),
    ({"lng": "120.0\x00"}, "lng"),
    ({"lng": "200"}, "lng"),
    ({"seen": "1,abc"}, "seen"),
    ({"source": ""}, "source"),
])
def test_bad_input_is_a_form_error_and_nothing_is_written(supervisor_client, world, data,
                                                          field):
    before = _written()
    response = supervisor_client.post(DESK, _form(world, **data))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert _written() == before


def test_a_point_outside_every_grid_is_refused(supervisor_client, world):
    before = _written()
    response = supervisor_client.post(DESK, _form(world, lng=100.0, lat=20.0), **EN)
    assert response.status_code == 400
    assert "outside every grid" in " ".join(response.context["form"].non_field_errors())
    assert _written() == before


def test_a_broken_photo_is_refused_and_nothing_is_written(supervisor_client, world):
    before = _written()
    data = _form(world)
    data["photos"] = [photo("good.jpg"), _broken_photo()]
    response = supervisor_client.post(DESK, data)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert _written() == before


def test_a_good_photo_is_kept_with_the_registration(supervisor_client, world):
    data = _form(world)
    data["photos"] = [photo("before.jpg")]
    assert supervisor_client.post(DESK, data).status_code == 302
    (kept,) = Task.objects.get().photos.all()
    assert kept.kind == Photo.Kind.BEFORE


def test_an_address_naming_a_road_places_the_call_on_it(supervisor_client, world):
    response = supervisor_client.post(DESK, _form(world, lng="", lat="", address="中山路口"))
    assert response.status_code == 302
    assert Task.objects.get().road == world.road


def test_an_inactive_category_is_not_offered(supervisor_client, world):
    Category.objects.filter(pk=world.category.pk).update(is_active=False)
    before = _written()
    response = supervisor_client.post(DESK, _form(world))
    assert response.status_code == 400 and response.context["form"].errors["category"]
    assert _written() == before


def test_the_page_carries_its_data_for_the_script_not_inline_code(supervisor_client):
    body = supervisor_client.get(DESK).content.decode()
    assert 'id="desk-config"' in body and "console/desk.js" in body
    assert "<script>" not in body.replace('<script id="desk-config" type="application/json">',
                                          "")
