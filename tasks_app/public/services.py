"""Writes of the public side: a citizen's web report (filed through the same service as
Open311, source citizen), the satisfaction rating after closure, and the closure e-mail to a
citizen who left an address.

The follow link's key is shown once and only its digest is kept. The closure e-mail cannot
repeat that key, so it carries a signed link instead (django.core.signing, keyed by SECRET_KEY,
like a password-reset link): nothing reversible is stored, the sender renders the link when it
sends (no secret waits in the broker or the database), and a retry sends the same link."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridmgmt import clock
from tasks_app import notify
from tasks_app import services as task_services
from tasks_app.errors import DomainError
from tasks_app.language import supported_or_default
from tasks_app.models import Category, Open311Client, Source, Task
from tasks_app.photos import public_copy
from tasks_app.workflow import Status

from .board_selectors import accepted_fix_photos
from .models import CitizenReport, Rating

log = logging.getLogger(__name__)

# The built-in client the web form files through (created with the first web report).
WEB_CLIENT_NAME = "public-web"
MAX_PHOTOS = 3
MAX_DESCRIPTION = 2000
MAX_COMMENT = 500
MAIL_MAX_ATTEMPTS = 6
MAIL_KIND = "citizen_closed"
FOLLOW_SALT = "public.follow"


def web_client() -> Open311Client:
    """The web form's Open311 client, created with the first web report (not by a migration:
    the Open311 client list stays the bureau's own until the form is used). Its key is random
    and thrown away at once: no API caller can post as the web form."""
    client = Open311Client.objects.filter(name=WEB_CLIENT_NAME).first()
    if client is not None:
        return client
    client = Open311Client(name=WEB_CLIENT_NAME, source=Source.CITIZEN)
    client.issue_key()  # never shown, never kept
    try:
        with transaction.atomic():  # a savepoint: a first report at the same moment won
            client.save()
    except IntegrityError:
        return Open311Client.objects.get(name=WEB_CLIENT_NAME)
    return client


def follow_key_for(report: CitizenReport) -> str:
    """The signed follow key the closure e-mail carries (the shown key is not kept)."""
    return signing.dumps(report.pk, salt=FOLLOW_SALT)


def report_for_key(key: str) -> CitizenReport | None:
    """The report a follow key opens: the random key shown at reporting, or the signed key of
    the closure e-mail."""
    key = (key or "").strip()
    if not key or len(key) > 200:
        return None
    qs = CitizenReport.objects.select_related("task__category", "filed")
    found = qs.filter(follow_hash=CitizenReport.digest(key)).first()
    if found is not None:
        return found
    try:
        pk = signing.loads(key, salt=FOLLOW_SALT)
    except signing.BadSignature:
        return None
    return qs.filter(pk=pk).first() if isinstance(pk, int) else None


@task_services._photo_files_undone_on_error
@transaction.atomic
def citizen_report(
    *,
    category: Category,
    lng: Any,
    lat: Any,
    description: str,
    address: str = "",
    photos: Sequence[UploadedFile] | None = None,
    email: str = "",
    phone: str = "",
    language: str = "",
) -> tuple[CitizenReport, str]:
    """File a citizen's web report: the Open311 service with the web client (source citizen,
    the same repeat rules and escalation), then the follow link. Returns the report and its
    follow key, which is shown once and never stored. ``language`` is the one the citizen
    reported in (one of ``settings.LANGUAGES``, else the site's): the closure e-mail's."""
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        raise DomainError("invalid_input", _("Send at most %(n)d photos.") % {"n": MAX_PHOTOS})
    description = (description or "").strip()
    if not description:
        raise DomainError("invalid_input", _("Describe the problem."))
    if len(description) > MAX_DESCRIPTION:
        raise DomainError("invalid_input", _("The description is longer than %(n)d "
                                             "characters.") % {"n": MAX_DESCRIPTION})
    contact = {k: v.strip() for k, v in (("email", email), ("phone", phone)) if v and v.strip()}
    filed = task_services.open311_request_file(
        client=web_client(), category=category, lng=lng, lat=lat, description=description,
        address=(address or "").strip()[:255], photos=photos, contact=contact)
    key = secrets.token_urlsafe(24)
    report = CitizenReport.objects.create(filed=filed, task=filed.task,
                                          follow_hash=CitizenReport.digest(key),
                                          language=supported_or_default(language))
    return report, key


@transaction.atomic
def citizen_rate(*, report: CitizenReport, level: int, comment: str = "") -> Rating:
    """The citizen's satisfaction (满意度) with a closed problem: once, through the follow link."""
    if level not in Rating.Level.values:
        raise DomainError("invalid_input", _("Choose how satisfied you are."))
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise DomainError("invalid_input", _("The comment is longer than %(n)d characters.")
                          % {"n": MAX_COMMENT})
    # The report's row serialises two ratings sent at once; the one-per-task constraint backs it.
    report = CitizenReport.objects.select_for_update().select_related("task").get(pk=report.pk)
    if report.task.status != Status.CLOSED:
        raise DomainError("illegal_transition",
                          _("A problem can be rated once it is closed."))
    if Rating.objects.filter(task_id=report.task_id).exists():
        raise DomainError("conflict", _("This problem has already been rated."))
    return Rating.objects.create(task_id=report.task_id, level=level, comment=comment,
                                 rated_at=clock.now())


# -- the closure e-mail -------------------------------------------------------------------------

def queue_closure_mail(*, task: Task, at: datetime) -> None:
    """Called by task_verify inside its transaction when a task closes: queue the e-mail to the
    citizen who reported it on the web and left an address; sent after the commit."""
    if task.source != Source.CITIZEN:
        return  # no query for the tasks nobody reported on the web
    queued = (CitizenReport.objects
              .filter(task_id=task.pk, closed_mail_at__isnull=True)
              .exclude(filed__email="")
              .update(closed_mail_at=at))
    if queued:
        transaction.on_commit(_kick)


def _kick() -> None:
    from .jobs import send_closure_mails_job

    try:
        send_closure_mails_job.apply_async(retry=False)
    except Exception:  # broker unreachable: the periodic pass sends it later
        log.warning("Broker unreachable; the citizen's closure e-mail waits for the next pass.")


def _pending():
    return (CitizenReport.objects
            .filter(closed_mail_at__isnull=False, closed_mail_sent_at__isnull=True,
                    closed_mail_attempts__lt=MAIL_MAX_ATTEMPTS)
            .order_by("closed_mail_at", "pk"))


def follow_url(report: CitizenReport) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("public:follow",
                                                   args=[follow_key_for(report)])


def _message(report: CitizenReport, conn) -> EmailMultiAlternatives:
    task = report.task
    # The accepted fix's photos only: a fix sent back for rework is not the result.
    after = list(accepted_fix_photos().filter(task=task).order_by("created_at", "pk")
                 [:MAX_PHOTOS])
    context = {"task": task, "category": task.category.name,
               "closed_at": timezone.localtime(task.closed_at) if task.closed_at else None,
               "on_time": not task.closed_late, "url": follow_url(report),
               "photos": len(after), "site_url": settings.SITE_URL}
    subject, text, html = notify.render_email(MAIL_KIND, context,
                                              supported_or_default(report.language))
    msg = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL,
                                 [report.filed.email], connection=conn)
    msg.extra_headers["Message-ID"] = (f"<citizen-closed-{report.pk}@"
                                       f"{settings.EMAIL_MESSAGE_DOMAIN}>")
    msg.attach_alternative(html, "text/html")
    for i, photo in enumerate(after, 1):
        # The public copy: no GPS position or camera of the officer's phone leaves the bureau.
        ext = photo.image.name.rsplit(".", 1)[-1].lower()
        mime = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(ext,
                                                                                    "image/jpeg")
        msg.attach(f"result-{i}.{ext}", public_copy(photo), mime)
    return msg


def send_closure_mails(*, limit: int = 100) -> dict[str, int]:
    """Send the queued closure e-mails. Each is claimed by bumping its attempts with a
    conditional UPDATE, so two senders never send one; a failure is retried on the next pass,
    at most MAIL_MAX_ATTEMPTS times."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    rows = list(_pending().values_list("pk", "closed_mail_attempts")[:limit])
    if not rows:
        return counts
    conn = get_connection(fail_silently=False)
    for pk, attempts in rows:
        if CitizenReport.objects.filter(pk=pk, closed_mail_sent_at__isnull=True,
                                        closed_mail_attempts=attempts).update(
                closed_mail_attempts=attempts + 1) != 1:
            continue  # another sender has it
        report = CitizenReport.objects.select_related("task__category", "filed").get(pk=pk)
        try:
            _message(report, conn).send()
        except Exception:  # any transport error: the next pass tries again, bounded
            log.exception("Closure e-mail for citizen report %s failed.", pk)
            counts["failed" if attempts + 1 >= MAIL_MAX_ATTEMPTS else "retry"] += 1
            conn = get_connection(fail_silently=False)
            continue
        CitizenReport.objects.filter(pk=pk).update(closed_mail_sent_at=timezone.now())
        counts["sent"] += 1
    return counts
