"""Nothing internal on any public page: with the demo city loaded (load_seeds) and citizens'
requests filed with their contacts (Open311 and the web form), every page under /public/ that the
URLconf names (every board, result, photo, follow and problem page, and the pages without
arguments) is fetched, and none may contain an event note, a plan, a void reason, an officer's
name, phone or e-mail, or a citizen's e-mail, phone or name (a citizen's own follow page may
repeat their own words to them, no one else's)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from gridmgmt.models import Duty, Officer, Region, Role
from tasks_app import services
from tasks_app.evaluation import previous_month
from tasks_app.models import Open311Client, Open311Request, Photo, Source, Task, TaskEvent
from tasks_app.public import board_selectors
from tasks_app.public import services as citizen_services
from tasks_app.public.models import CitizenReport
from tests.evaluation.conftest import photo

pytestmark = pytest.mark.django_db

CITIZENS = [
    {"email": "wang.xiaoming.citizen@example.net", "phone": "13912345678",
     "first_name": "晓明", "last_name": "王"},
    {"email": "li.hong.hotline@example.net", "phone": "13800001111",
     "first_name": "红", "last_name": "李", "device_id": "device-li-0001"},
]
WEB = {"email": "zhao.citizen.web@example.net", "phone": "13700002222"}


def _file_citizens() -> None:
    """Citizens' requests with contacts, at places of the demo city: two through Open311 (one
    closed with an after photo), one through the web form. Their descriptions carry the
    citizen's phone, as people write them."""
    supervisor = (Duty.objects.filter(role=Role.DISTRICT_SUPERVISOR)
                  .select_related("officer__user").first().officer.user)
    client = Open311Client.objects.filter(source=Source.HOTLINE).first()
    places = list(Task.objects.filter(source=Source.CITIZEN).select_related("category")
                  .order_by("pk")[:3])
    filed = []
    for contact, place in zip(CITIZENS, places, strict=False):
        filed.append(services.open311_request_file(
            client=client, category=place.category, lng=place.lng + 0.0004, lat=place.lat,
            description=f"请回电 {contact['phone']}", contact=contact))
    task = filed[0].task
    if task.status == "reported":
        task = services.task_assign(task=task, actor=supervisor,
                                    assignee=_someone_for(task))
    task = services.task_start(task=task, actor=task.assignee.user, plan="王师傅带两人清理")
    task = services.task_submit(task=task, actor=task.assignee.user, photos=[photo()])
    services.task_verify(task=task, actor=supervisor, approved=True, note="核查通过请回访")
    place = places[2]
    citizen_services.citizen_report(
        category=place.category, lng=place.lng - 0.0004, lat=place.lat,
        description=f"我的电话 {WEB['phone']}", **WEB)


def _someone_for(task: Task) -> Officer:
    duty = Duty.objects.filter(role=Role.GRID_OFFICER, grid=task.grid).first()
    return duty.officer if duty else Officer.objects.filter(duties__role=Role.GRID_OFFICER)[0]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("privacy-media")
    with django_db_blocker.unblock(), override_settings(
        MEDIA_ROOT=media,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                  "staticfiles": {"BACKEND":
                                  "django.contrib.staticfiles.storage.StaticFilesStorage"}},
    ):
        call_command("load_seeds", stdout=io.StringIO(), stderr=io.StringIO())
        _file_citizens()
        yield media
        call_command("flush", interactive=False, verbosity=0)


def _secrets() -> set[str]:
    found: set[str] = set()
    found |= set(TaskEvent.objects.exclude(note="").values_list("note", flat=True))
    found |= set(Task.objects.exclude(plan="").values_list("plan", flat=True))
    for row in Officer.objects.values("name", "phone", "email"):
        found |= {v for v in row.values() if v}
    for row in Open311Request.objects.values("email", "phone", "first_name", "last_name",
                                              "device_id", "account_id"):
        found |= {v for v in row.values() if v}
    found.add(" ".join([CITIZENS[0]["last_name"], CITIZENS[0]["first_name"]]))
    found.add(CITIZENS[0]["last_name"] + CITIZENS[0]["first_name"])
    # One-character given or family names are not identifying alone and would match any text.
    return {s for s in found if len(s) >= 2}


def _readable(content: bytes) -> str:
    """The page's text with JSON's \\uXXXX escapes (json_script) turned back into characters."""
    text = content.decode("utf-8", errors="replace")
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def _patterns(resolver: URLResolver, prefix: str = ""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield p


def _arguments() -> dict[str, list[list]]:
    """Every argument each public page with arguments takes in the demo city."""
    public = board_selectors.public_tasks()
    results = list(public.filter(status="closed").values_list("pk", flat=True))
    return {
        "board_unit": [[pk] for pk in Region.objects.values_list("pk", flat=True)],
        "board_result": [[pk] for pk in results],
        "board_photo": [[pk] for pk in Photo.objects.filter(
            task__in=results, kind=Photo.Kind.AFTER).values_list("pk", flat=True)],
        "follow": [[citizen_services.follow_key_for(r)] for r in CitizenReport.objects.all()],
        "problem": [[code] for code in Task.objects.exclude(code=None)
                    .values_list("code", flat=True)],
    }


def _pages() -> list[str]:
    _prefix, resolver = get_resolver().namespace_dict["public"]
    arguments = _arguments()
    urls = []
    for pattern in _patterns(resolver):
        name = pattern.name
        if not pattern.pattern.converters:
            urls.append(reverse(f"public:{name}"))
            continue
        if name not in arguments:
            pytest.fail(f"public:{name} takes arguments this test does not know how to "
                        "enumerate: add them to _arguments()")
        urls += [reverse(f"public:{name}", args=args) for args in arguments[name]]
    return urls


def test_no_public_page_shows_an_internal_note_or_a_contact(demo, settings):
    settings.MEDIA_ROOT = demo  # where the demo's photos were stored
    secrets = _secrets()
    # The demo data does hold what must stay inside; otherwise this test would prove nothing.
    assert {"王师傅带两人清理", "核查通过请回访", WEB["email"], CITIZENS[1]["phone"]} <= secrets
    assert TaskEvent.objects.filter(kind=TaskEvent.Kind.VOIDED).exclude(note="").exists()
    assert Officer.objects.exclude(phone="").count() > 10
    pages = _pages()
    district = Region.objects.filter(level=Region.Level.DISTRICT).first()
    month = board_selectors.month_of()
    pages += [f"{reverse('public:board_unit', args=[pk])}?month={m}"
              for pk in Region.objects.values_list("pk", flat=True)
              for m in (previous_month(month), previous_month(previous_month(month)))]
    # A follow page is its citizen's own (opened by the key only they were given, never cached):
    # it may repeat their own words and contact to them, but nobody else's and nothing internal.
    # Matched by the report the key opens, not by the URL: a signed key carries the second it
    # was signed in, so two signings of one report can differ.
    def own(url: str) -> set[str]:
        match = resolve(url.split("?")[0])
        if match.url_name != "follow":
            return set()
        report = citizen_services.report_for_key(match.kwargs["key"])
        return {report.filed.email, report.filed.phone} if report else set()

    assert CitizenReport.objects.exists()
    cache.clear()
    browser = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    status: dict[str, int] = {}
    leaks = []
    for url in pages:
        response = browser.get(url)
        status[url] = response.status_code
        assert response.status_code < 500, url
        text = _readable(response.content)
        leaks += [(url, s) for s in secrets - own(url) if s in text]
    assert leaks == []
    # The pages were really there: every board, result and after photo answered.
    board = reverse("public:board_unit", args=[district.pk])
    assert status[board] == 200
    served = [u for u in status if u.startswith(reverse("public:board_result", args=[0])[:-2])]
    assert served and all(status[u] == 200 for u in served)
