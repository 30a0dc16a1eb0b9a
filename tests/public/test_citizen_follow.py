"""Following a web report: the follow page (status in words, the public time limit, the result
with metadata-free after photos), the closure e-mail with a signed follow link when the citizen
left an address, and the satisfaction rating, once, after closing."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tasks_app import services
from tasks_app.public import services as public
from tasks_app.public.models import CitizenReport, Rating
from tests.exif import has_gps_or_camera, jpeg_with_gps

pytestmark = pytest.mark.usefixtures("fresh_cache", "zh_hans")


def jpeg() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "#aa8866").save(buf, "JPEG")
    return SimpleUploadedFile("p.jpg", buf.getvalue(), content_type="image/jpeg")


def reported(world, email="li@example.com", language="") -> tuple[CitizenReport, str]:
    lng, lat = world.point_g1
    return public.citizen_report(category=world.category, lng=lng, lat=lat,
                                 description="井盖松动", email=email, photos=[jpeg()],
                                 language=language)


def started(world, task):
    """The reported task, dispatched if it was not, started by its officer."""
    task.refresh_from_db()
    if task.assignee is None:
        task = services.task_assign(task=task, actor=world.supervisor.user,
                                    assignee=world.grid_officer)
    return services.task_start(task=task, actor=task.assignee.user)


def close(world, task, captured):
    task = started(world, task)
    officer = task.assignee
    after = SimpleUploadedFile("after.jpg", jpeg_with_gps(), content_type="image/jpeg")
    task = services.task_submit(task=task, actor=officer.user, photos=[after])
    with captured(execute=False) as callbacks:
        services.task_verify(task=task, actor=world.supervisor.user, approved=True)
    return callbacks


def test_an_unknown_key_finds_nothing(client, db):
    assert client.get("/public/follow/nothing-here/").status_code == 404
    assert client.get("/public/follow/" + "x" * 300 + "/").status_code == 404


def test_the_follow_page_tells_the_status_and_the_time_limit(client, world):
    report, key = reported(world)
    page = client.get(reverse("public:follow", args=[key]))
    html = page.content.decode()
    assert page.status_code == 200
    assert report.task.code in html
    assert "4 工作小时" in html  # the public time limit (办事时限)
    assert f'data-status="{report.task.status}"' in html
    assert 'name="level"' not in html  # no rating form while it is open
    # Rating before closing is refused, nothing written.
    response = client.post(reverse("public:follow", args=[key]), {"level": 3})
    assert response.status_code == 409
    assert not Rating.objects.exists()


def test_closing_e_mails_the_citizen_the_result_with_a_link_to_rate_it(
        client, world, django_capture_on_commit_callbacks):
    report, key = reported(world)
    callbacks = close(world, report.task, django_capture_on_commit_callbacks)
    report.refresh_from_db()
    assert report.closed_mail_at is not None and len(callbacks) >= 1

    assert public.send_closure_mails() == {"sent": 1, "retry": 0, "failed": 0}
    assert public.send_closure_mails()["sent"] == 0  # sent once
    [msg] = mail.outbox
    assert msg.to == ["li@example.com"]
    assert report.task.code in msg.subject
    link = re.search(r"http://\S+/public/follow/(\S+)/", msg.body)
    assert link and link.group(1) != key  # a signed link: the shown key is not kept
    # The result's photo, as a public copy: no GPS position, no camera.
    [(name, content, mime)] = msg.attachments
    assert mime == "image/jpeg" and not has_gps_or_camera(content)

    page = client.get(f"/public/follow/{link.group(1)}/")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-status="closed"' in html
    photo_url = re.search(r'src="(/public/photo/\d+/)"', html).group(1)
    assert not has_gps_or_camera(client.get(photo_url).content)

    # The rating, once.
    assert client.post(f"/public/follow/{link.group(1)}/", {"level": "9"}).status_code == 400
    assert not Rating.objects.exists()
    response = client.post(f"/public/follow/{key}/", {"level": "2", "comment": "还算及时"})
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert (rating.task_id, rating.level, rating.comment) == (report.task_id, 2, "还算及时")
    again = client.post(f"/public/follow/{link.group(1)}/", {"level": "1"})
    assert again.status_code == 409
    assert Rating.objects.get().level == 2


@pytest.mark.parametrize("language, words", [
    ("en", "has been dealt with"), ("zh-hans", "已处置"), ("", "已处置"), ("xx", "已处置")])
def test_the_closure_mail_is_in_the_language_the_citizen_reported_in(
        world, django_capture_on_commit_callbacks, language, words):
    report, _key = reported(world, language=language)
    close(world, report.task, django_capture_on_commit_callbacks)
    assert public.send_closure_mails()["sent"] == 1
    [msg] = mail.outbox
    assert words in msg.subject


def test_the_closure_mail_attaches_only_the_accepted_fix(
        world, django_capture_on_commit_callbacks):
    report, _key = reported(world)
    task = started(world, report.task)
    officer = task.assignee
    refused = Image.new("RGB", (64, 48), "#ff0000")
    buf = io.BytesIO()
    refused.save(buf, "JPEG")
    task = services.task_submit(task=task, actor=officer.user, photos=[
        SimpleUploadedFile("refused.jpg", buf.getvalue(), content_type="image/jpeg")])
    task = services.task_verify(task=task, actor=world.supervisor.user, approved=False,
                                note="还没修好")
    task = services.task_submit(task=task, actor=officer.user, photos=[jpeg()])
    with django_capture_on_commit_callbacks(execute=False):
        services.task_verify(task=task, actor=world.supervisor.user, approved=True)
    assert public.send_closure_mails()["sent"] == 1
    [msg] = mail.outbox
    [(_name, content, _mime)] = msg.attachments
    assert Image.open(io.BytesIO(content)).size == (40, 30)  # the accepted fix's photo only


def test_a_tampered_signed_link_finds_nothing(client, world):
    report, _key = reported(world)
    signed = public.follow_key_for(report)
    assert client.get(f"/public/follow/{signed}/").status_code == 200
    assert client.get(f"/public/follow/{signed[:-2]}xx/").status_code == 404


def test_no_mail_is_queued_without_an_address(world, django_capture_on_commit_callbacks):
    report, _key = reported(world, email="")
    close(world, report.task, django_capture_on_commit_callbacks)
    report.refresh_from_db()
    assert report.closed_mail_at is None
    assert public.send_closure_mails()["sent"] == 0 and mail.outbox == []


def test_a_failed_send_is_retried_then_given_up(world, settings,
                                                 django_capture_on_commit_callbacks):
    report, _key = reported(world)
    close(world, report.task, django_capture_on_commit_callbacks)
    settings.EMAIL_BACKEND = "tests.public.test_citizen_follow.FailingBackend"
    for _ in range(public.MAIL_MAX_ATTEMPTS):
        public.send_closure_mails()
    report.refresh_from_db()
    assert report.closed_mail_sent_at is None
    assert report.closed_mail_attempts == public.MAIL_MAX_ATTEMPTS
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert public.send_closure_mails()["sent"] == 0  # given up: no endless retries


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("connection refused")

    def open(self):
        return True

    def close(self):
        pass


def test_the_periodic_pass_is_scheduled_and_its_job_is_registered(db):
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    from config.celery import app

    call_command("setup_schedules", stdout=open("/dev/null", "w"))  # noqa: SIM115
    job = PeriodicTask.objects.get(task="public.send_closure_mails")
    assert job.interval.every == 5
    app.loader.import_default_modules()
    assert "public.send_closure_mails" in app.tasks
