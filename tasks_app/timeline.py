"""A task's history in words: its events, the escalation levels it crossed and the alerts sent
about it, interleaved by time. The console's workbench, the phone's task page and the API's
events endpoint all read it, so the three tell the same story.

Escalations and alerts are their own rows (``Escalation``, ``Notification``), written by the
sweep without touching the task: reading them here leaves ``Task.version`` alone, so an
officer's pending update is not made stale by an alert about it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from gridmgmt.models import Officer, Role
from gridmgmt.selectors import officers_holding

from .models import Campaign, Category, Escalation, Notification, Photo, Source, Task, TaskEvent
from .workflow import Status

Kind = TaskEvent.Kind
ESCALATED = "escalated"  # an Escalation row: a ladder level crossed
ALERTED = "alerted"  # Notification rows about the task: who was told, and whether it went

LEVEL_LABELS = {
    0: gettext_lazy("Yellow warning"),
    1: gettext_lazy("Level 1"),
    2: gettext_lazy("Level 2"),
    3: gettext_lazy("Level 3 (supervised)"),
}
# Who the ladder tells, as the people they are to the task (notify.recipients_for's roles).
LADDER_ROLES = (Role.ROAD_CHIEF, Role.COMMUNITY_HEAD, Role.STREET_LEADER,
                Role.DISTRICT_SUPERVISOR)


@dataclass
class Entry:
    """One line of the timeline."""

    kind: str  # a TaskEvent kind, or ESCALATED / ALERTED
    at: datetime
    text: str
    actor: str | None = None
    event: TaskEvent | None = None
    data: dict[str, Any] = field(default_factory=dict)  # the facts behind the sentence
    order: int = 0  # events before escalations before alerts at the same instant

    @property
    def is_event(self) -> bool:
        return self.event is not None


def timeline(task: Task) -> list[Entry]:
    """The task's history, oldest first. A handful of queries, whatever its length."""
    events = list(task.events.select_related("actor__officer").order_by("created_at", "pk"))
    names = _names(events)
    entries = [_event_entry(e, names) for e in events]
    entries += [_escalation_entry(x) for x in task.escalations.order_by("crossed_at", "level")]
    entries += _alert_entries(task)
    # To the second, then events before the escalations and alerts they caused (a repeat's
    # escalation and an urge's reminder are written a moment before their event).
    entries.sort(key=lambda e: (e.at.replace(microsecond=0), e.order))
    return entries


# -- events -------------------------------------------------------------------------------------

def actor_name(user) -> str | None:
    if user is None:
        return None
    officer = getattr(user, "officer", None)
    return officer.name if officer is not None else user.get_username()


def _names(events: list[TaskEvent]) -> dict[str, dict[int, str]]:
    """The officers, categories and campaigns the events' extra data name by id, in one query
    each."""
    officers, categories, campaigns = set(), set(), set()
    for e in events:
        for key in ("assignee", "previous"):
            if isinstance(e.extra.get(key), int):
                officers.add(e.extra[key])
        changed = e.extra.get("changed") or {}
        for value in changed.get("category", []):
            if isinstance(value, int):
                categories.add(value)
        for value in changed.get("campaign", []):
            if isinstance(value, int):
                campaigns.add(value)
    return {
        "officer": dict(Officer.objects.filter(pk__in=officers).values_list("pk", "name"))
        if officers else {},
        "category": dict(Category.objects.filter(pk__in=categories).values_list("pk", "name"))
        if categories else {},
        "campaign": dict(Campaign.objects.filter(pk__in=campaigns).values_list("pk", "name"))
        if campaigns else {},
    }


def _when(value: str | None) -> str:
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _status(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


def _source(value: Any) -> str:
    return str(Source(value).label) if value in Source.values else str(value)


def _with_reason(text: str, note: str) -> str:
    return _("%(text)s, reason: %(reason)s") % {"text": text, "reason": note} if note else text


def _changed_text(e: TaskEvent, names: dict[str, dict[int, str]]) -> str:
    """What an ``updated`` or ``corrected`` event changed, field by field."""
    parts = []
    for name, (old, new) in (e.extra.get("changed") or {}).items():
        if name == "campaign":
            parts.append(_("added it to the campaign “%(name)s”")
                         % {"name": names["campaign"].get(new, new)} if new
                         else _("took it out of its campaign"))
        elif name == "category":
            parts.append(_("changed the category from %(old)s to %(new)s") % {
                "old": names["category"].get(old, old), "new": names["category"].get(new, new)})
        elif name == "plan_required":
            parts.append(_("required a written plan before the work starts"))
        elif name == "source":
            parts.append(_("changed the source from %(old)s to %(new)s")
                         % {"old": _source(old), "new": _source(new)})
        else:
            fields = {f.name: f for f in Task._meta.fields}
            label = str(fields[name].verbose_name) if name in fields else name
            parts.append(_("changed the %(field)s to “%(value)s”")
                         % {"field": label, "value": new or "—"})
    return pgettext("list separator", ", ").join(parts)


def _event_text(e: TaskEvent, names: dict[str, dict[int, str]]) -> str:
    who = actor_name(e.actor) or pgettext("timeline actor", "The system")
    x, note = e.extra, e.note
    officer = names["officer"]
    k = e.kind
    if k == Kind.REPORTED:
        if x.get("fixed_on_spot"):
            text = _("%(who)s reported it as fixed on the spot") % {"who": who}
        elif e.actor is None:
            text = _("Reported through an outside channel")
        else:
            text = _("%(who)s reported it") % {"who": who}
        if x.get("repeat_of"):
            text = _("%(text)s; occurrence %(n)s at this place, escalated at once") % {
                "text": text, "n": x.get("repeat_seq")}
        if x.get("auto_dispatched"):
            text = _("%(text)s; dispatched automatically") % {"text": text}
        return text
    if k == Kind.ASSIGNED:
        return _("%(who)s dispatched it to %(to)s") % {
            "who": who, "to": officer.get(x.get("assignee"), "—")}
    if k == Kind.REASSIGNED:
        return _("%(who)s reassigned it to %(to)s (was: %(was)s)") % {
            "who": who, "to": officer.get(x.get("assignee"), "—"),
            "was": officer.get(x.get("previous"), "—")}
    if k == Kind.STARTED:
        if x.get("plan"):
            return _("%(who)s wrote the plan and started work") % {"who": who}
        return _("%(who)s started work") % {"who": who}
    if k == Kind.SUBMITTED:
        return _("%(who)s submitted the fix") % {"who": who}
    if k == Kind.APPROVED:
        return _("%(who)s verified the fix and closed the task") % {"who": who}
    if k == Kind.REWORK:
        return _with_reason(_("%(who)s sent the fix back for rework") % {"who": who}, note)
    if k == Kind.EXTENSION_REQUESTED:
        return _with_reason(_("%(who)s asked for an extension until %(until)s")
                            % {"who": who, "until": _when(x.get("until"))}, note)
    if k == Kind.EXTENSION_APPROVED:
        return _("%(who)s approved the extension until %(until)s") % {
            "who": who, "until": _when(x.get("until"))}
    if k == Kind.EXTENSION_REFUSED:
        return _with_reason(_("%(who)s refused the extension until %(until)s")
                            % {"who": who, "until": _when(x.get("until"))}, note)
    if k == Kind.HELD:
        return _with_reason(_("%(who)s put it on hold") % {"who": who}, note)
    if k == Kind.RESUMED:
        return _("%(who)s resumed it (%(status)s)") % {"who": who,
                                                      "status": _status(e.to_status)}
    if k == Kind.VOIDED:
        return _with_reason(_("%(who)s voided the report") % {"who": who}, note)
    if k == Kind.PHOTO_ADDED:
        kind = x.get("kind")
        label = Photo.Kind(kind).label if kind in Photo.Kind.values else kind
        return _("%(who)s added a photo (%(kind)s)") % {"who": who, "kind": label}
    if k == Kind.UPDATED:
        return _("%(who)s %(changes)s") % {"who": who, "changes": _changed_text(e, names)}
    if k == Kind.CORRECTED:
        return _with_reason(_("%(who)s corrected the record: %(changes)s")
                            % {"who": who, "changes": _changed_text(e, names)}, note)
    if k == Kind.URGED:
        return _("%(who)s urged %(to)s (reminder %(n)s)") % {
            "who": who, "to": officer.get(x.get("assignee"), "—"), "n": x.get("reminder", 1)}
    if k == Kind.PLANNED:
        return (_("%(who)s rewrote the plan") if x.get("previous")
                else _("%(who)s wrote the plan")) % {"who": who}
    return _("%(who)s: %(event)s") % {"who": who, "event": e.get_kind_display()}


# Events whose note is part of their sentence (the others show it beneath).
NOTE_IN_TEXT = {Kind.REWORK, Kind.EXTENSION_REQUESTED, Kind.EXTENSION_REFUSED, Kind.HELD,
                Kind.VOIDED, Kind.CORRECTED}


def _event_entry(e: TaskEvent, names: dict[str, dict[int, str]]) -> Entry:
    data = {"note": "" if e.kind in NOTE_IN_TEXT else e.note}
    return Entry(kind=e.kind, at=e.created_at, text=_event_text(e, names),
                 actor=actor_name(e.actor), event=e, data=data, order=0)


# -- escalations and alerts ---------------------------------------------------------------------

def _escalation_entry(x: Escalation) -> Entry:
    level = LEVEL_LABELS.get(x.level, x.level)
    if x.reason == Escalation.Reason.REPEAT:
        text = _("Escalated to %(level)s: the problem came back at this place") % {"level": level}
    elif x.level == 0:
        text = _("Yellow warning: the deadline is near")
    elif x.level == 1:
        text = _("Escalated to %(level)s: the deadline has passed") % {"level": level}
    elif x.reason == Escalation.Reason.TIME:
        text = _("Escalated to %(level)s: still not fixed long after the deadline") % {
            "level": level}
    else:
        text = _("Escalated to %(level)s (%(reason)s)") % {
            "level": level, "reason": x.get_reason_display()}
    return Entry(kind=ESCALATED, at=x.crossed_at, text=text, order=1,
                 data={"level": x.level, "reason": x.reason})


ALERT_TEXT = {
    Notification.Status.SENT: gettext_lazy("%(what)s sent to %(people)s"),
    Notification.Status.PENDING: gettext_lazy("%(what)s waiting to be sent to %(people)s"),
    Notification.Status.SENDING: gettext_lazy("%(what)s being sent to %(people)s"),
    Notification.Status.FAILED: gettext_lazy("%(what)s could not be delivered to %(people)s"),
    Notification.Status.SKIPPED: gettext_lazy("%(what)s not sent to %(people)s (no e-mail "
                                              "address)"),
}


def _alert_what(n: Notification) -> str:
    if n.kind == Notification.Kind.ESCALATION:
        return _("Alert of %(level)s") % {"level": LEVEL_LABELS.get(n.level, n.level)}
    return str(n.get_kind_display())


def _alert_entries(task: Task) -> list[Entry]:
    """One line per kind, level and outcome: "Alert of level 2 sent to the street leader 韩立峰,
    the assignee 李明"."""
    rows = list(task.notifications.select_related("recipient").order_by("created_at", "pk"))
    if not rows:
        return []
    roles = _roles_of(task, rows)
    groups: dict[tuple, list[Notification]] = defaultdict(list)
    for n in rows:
        groups[(n.kind, n.level, n.status)].append(n)
    entries = []
    for (kind, level, status), members in groups.items():
        people = [(roles.get((n.created_at, n.recipient_id)), n.recipient.name) for n in members]
        listed = pgettext("list separator", ", ").join(
            _("%(role)s %(name)s") % {"role": role, "name": name} if role else name
            for role, name in people)
        at = max(n.sent_at or n.created_at for n in members)
        text = ALERT_TEXT.get(status, ALERT_TEXT[Notification.Status.PENDING]) % {
            "what": _alert_what(members[0]), "people": listed}
        entries.append(Entry(kind=ALERTED, at=at, text=text, order=2, data={
            "notification_kind": kind, "level": level, "status": status,
            "recipients": [{"name": name, "role": str(role) if role else None}
                           for role, name in people]}))
    return entries


def _roles_of(task: Task, rows: list[Notification]) -> dict[tuple[datetime, int], str]:
    """Who each recipient was to the task when told: the road chief, community head, street
    leader or district supervisor then on duty for its place (the roster, as the ladder read
    it), or else the assignee."""
    found: dict[tuple[datetime, int], str] = {}
    for at in {n.created_at for n in rows}:
        for role in LADDER_ROLES:
            for pk in officers_holding(role=role, at=at, grid=task.grid, road=task.road) \
                    .values_list("pk", flat=True):
                found.setdefault((at, pk), str(Role(role).label))
    for n in rows:
        found.setdefault((n.created_at, n.recipient_id), _("the assignee"))
    return found
