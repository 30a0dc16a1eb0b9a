"""The phone pages' outbox timer: how often a page asks the service worker to send what is still
queued (besides the reconnect event), from settings.MOBILE_OUTBOX_RETRY_SECONDS (20 s)."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def outbox_retry_seconds() -> int:
    return max(1, int(getattr(settings, "MOBILE_OUTBOX_RETRY_SECONDS", 20)))
