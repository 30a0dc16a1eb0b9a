"""The phone bar's patrol link: for road chiefs and grid officers only, marked while running."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from tasks_app import authority

from ..models import Patrol

register = template.Library()


@register.simple_tag(takes_context=True)
def patrol_link(context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    who = authority.of(user)
    if not who.can_patrol():
        return ""
    running = Patrol.objects.filter(officer=who.officer, status=Patrol.Status.RUNNING).first()
    if running is not None:
        return format_html('<a class="btn small patrol-on" href="{}">● {}</a>',
                           reverse("patrols:patrol", args=[running.pk]), _("On patrol"))
    return format_html('<a class="btn small" href="{}">{}</a>', reverse("patrols:home"),
                       _("Patrol"))
