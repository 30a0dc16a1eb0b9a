"""The events endpoint's entries: the task's event log as it always was, each event with its
sentence; with ``?include=escalations`` also the ladder levels crossed and the alerts sent,
interleaved by time (tasks_app/timeline.py). Those extra entries are not events: their ``id``
and ``version`` are null, so a client's If-Match stays the task's version."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from ..timeline import ALERTED, ESCALATED, Entry
from .serializers import TaskEventSerializer

INCLUDE = OpenApiParameter(
    "include", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False, enum=["escalations"],
    description=_("“escalations”: also list each escalation level the task crossed (kind "
                  "“escalated”: extra.level, extra.reason) and each alert sent about it (kind "
                  "“alerted”: extra.level, extra.status, extra.recipients), interleaved by "
                  "time. These entries have no id and no version: they do not change the "
                  "task's version."))


class TimelineEntrySerializer(TaskEventSerializer):
    """An event's fields as before, plus ``text``: the entry as a sentence."""

    id = serializers.IntegerField(read_only=True, allow_null=True,
                                  help_text=_("The event's id; null for an escalation or alert."))
    kind = serializers.CharField(read_only=True, help_text=_(
        "An event kind, or “escalated” / “alerted” with ?include=escalations."))
    version = serializers.IntegerField(read_only=True, allow_null=True, help_text=_(
        "The task's version after the event; null for an escalation or alert."))
    text = serializers.CharField(read_only=True, help_text=_("The entry in words."))

    class Meta(TaskEventSerializer.Meta):
        fields = [*TaskEventSerializer.Meta.fields, "text"]
        read_only_fields = fields


def entry_data(entry: Entry, serialized_event: dict | None = None) -> dict:
    if serialized_event is not None:
        return {**serialized_event, "text": entry.text}
    label = {ESCALATED: _("Escalated"), ALERTED: _("Alert")}.get(entry.kind, entry.kind)
    return {
        "id": None, "kind": entry.kind, "kind_display": str(label), "actor": None,
        "actor_name": None, "from_status": "", "to_status": "", "note": "",
        "extra": entry.data, "version": None,
        "created_at": serializers.DateTimeField().to_representation(entry.at),
        "text": entry.text,
    }


def timeline_data(entries: list[Entry], *, include_escalations: bool) -> list[dict]:
    """Events serialized exactly as TaskEventSerializer does (plus the sentence); the ladder's
    entries only when asked for."""
    out = []
    for entry in entries:
        if entry.event is not None:
            out.append(entry_data(entry, TaskEventSerializer(entry.event).data))
        elif include_escalations:
            out.append(entry_data(entry))
    return out
