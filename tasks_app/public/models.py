"""What the public side keeps: a citizen's web report with the digest of its follow link, and the
satisfaction rating (满意度) the citizen gives once the problem is closed."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

from tasks_app.models import Open311Request, Task


class CitizenReport(models.Model):
    """A problem a citizen reported on the web (filed through the same service as Open311). The
    follow link's key is shown once, to the citizen; only its digest is stored."""

    filed = models.OneToOneField(Open311Request, models.CASCADE, related_name="citizen_report",
                                 verbose_name=_("Open311 request"))
    task = models.OneToOneField(Task, models.CASCADE, related_name="citizen_report",
                                verbose_name=_("task"))
    follow_hash = models.CharField(_("follow key hash"), max_length=64, unique=True,
                                   editable=False)
    closed_mail_at = models.DateTimeField(_("closure e-mail queued at"), null=True, blank=True)
    # The closure e-mail's own small outbox (the bureau's outbox is addressed to officers): a
    # sender claims the row by bumping the attempts, sends, then stamps it sent.
    closed_mail_sent_at = models.DateTimeField(_("closure e-mail sent at"), null=True,
                                               blank=True)
    closed_mail_attempts = models.PositiveSmallIntegerField(_("closure e-mail attempts"),
                                                            default=0)
    # The language the citizen reported in: the closure e-mail is written in it.
    language = models.CharField(_("language"), max_length=16, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("citizen report")
        verbose_name_plural = _("citizen reports")

    def __str__(self) -> str:
        return str(self.task_id)

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class Rating(models.Model):
    """The citizen's satisfaction (满意度) with a closed problem: one per task, given through the
    follow link; counted in the month it was given, for the task's grid (群众满意度)."""

    class Level(models.IntegerChoices):
        SATISFIED = 3, _("Satisfied")
        FAIRLY = 2, _("Fairly satisfied")
        DISSATISFIED = 1, _("Dissatisfied")

    task = models.OneToOneField(Task, models.CASCADE, related_name="citizen_rating",
                                verbose_name=_("task"))
    level = models.PositiveSmallIntegerField(_("satisfaction"), choices=Level.choices)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated at"), db_index=True)

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        constraints = [models.CheckConstraint(condition=models.Q(level__in=[1, 2, 3]),
                                              name="rating_level_valid")]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.level}"
