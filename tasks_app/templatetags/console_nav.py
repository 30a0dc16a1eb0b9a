"""The console navigation's own context: the queue counts and whether the registration desk is
open to the user. Counted once per request (the dashboard hands over the counts it already has),
so a console page pays at most one aggregate query for them."""

from __future__ import annotations

from django import template

from .. import authority
from ..authority import Channel
from ..console import queues

register = template.Library()


@register.simple_tag(takes_context=True)
def console_nav(context) -> dict:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"queues": [], "desk": False, "evaluation": False}
    auth = authority.of(request.user)
    if not auth.uses_console:
        return {"queues": [], "desk": False, "evaluation": False}
    dashboard = context.get("dashboard")
    if dashboard is not None and getattr(dashboard, "queue_counts", None):
        queues.remember(request, dashboard.queue_counts)
    counts = queues.for_request(request)
    return {
        "queues": queues.listed(counts),
        "desk": bool(auth.report_sources(Channel.DESK)),
        # The same rule as the evaluation pages and the API: authority, not a model permission.
        "evaluation": auth.can_see_evaluation(),
    }
