"""Publishing a month's evaluation, and the review meeting that follows (每月一会一点评一奖罚).

Writes: ``evaluation_publish`` freezes every level of a month (for every district, and for the
whole bureau together) as snapshot rows in one transaction; ``review_write``,
``decision_add``, ``follow_up_add`` and ``follow_up_done`` record the meeting. Each asks the
authority module first.

Reads: ``published_rows`` is the hook at the top of ``evaluation.evaluate()``: a published month
answers from its current snapshot, so every page, API answer, export and e-mail of that month
agree with what was published, whatever happens to tasks, duties or the scheme afterwards. The
month after reads it there too, for last month's rank, the change and the 末位 flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridmgmt import clock
from gridmgmt.models import Officer, Region
from gridmgmt.types import User

from . import authority
from .errors import DomainError
from .models import (
    Decision,
    EvaluationPublication,
    EvaluationSnapshotRow,
    FollowUp,
    UnitReview,
)

# -- reads --------------------------------------------------------------------------------------


def current_publication(month: str) -> EvaluationPublication | None:
    return (EvaluationPublication.objects.filter(month=month, superseded_at__isnull=True)
            .select_related("published_by").first())


def publications(month: str) -> list[EvaluationPublication]:
    """Every version of the month, newest first."""
    return list(EvaluationPublication.objects.filter(month=month)
                .select_related("published_by").order_by("-version"))


def current_publications(*months: str) -> dict[str, EvaluationPublication]:
    """The current publication of each of ``months`` that is published, by month: one query
    (``evaluate()`` asks for its month and the month before at once)."""
    return {p.month: p for p in EvaluationPublication.objects.filter(
        month__in=months, superseded_at__isnull=True)}


def published_rows(month: str, level: str, *, district: int | None = None,
                   publications: dict[str, EvaluationPublication] | None = None):
    """The month's frozen rows of ``level`` in ``district``'s scope (None: the whole bureau), in
    published order; None when the month is not published (or was published before the level
    existed), so ``evaluate()`` computes it live. ``publications`` (``current_publications()``'s
    answer, holding ``month`` if it is published) saves looking the month up again."""
    publication = (current_publication(month) if publications is None
                   else publications.get(month))
    if publication is None or level not in publication.levels:
        return None
    return snapshot_rows(publication, level, district=district)


def snapshot_rows(publication: EvaluationPublication, level: str, *,
                  district: int | None = None):
    """One version's rows of ``level`` (a superseded version stays readable)."""
    from .evaluation import Row

    rows = EvaluationSnapshotRow.objects.filter(
        publication=publication, level=level, district_id=district).order_by("position")
    return [Row.from_dict(data) for data in rows.values_list("data", flat=True)]


def publication_dict(publication: EvaluationPublication | None) -> dict | None:
    """What the API and the pages say about a publication."""
    if publication is None:
        return None
    by = publication.published_by
    return {"version": publication.version, "published_by": by.get_username(),
            "published_by_name": _display_name(by),
            "published_at": publication.published_at.isoformat(),
            "reason": publication.reason, "scheme": publication.scheme,
            "superseded_at": (publication.superseded_at.isoformat()
                              if publication.superseded_at else None)}


def _display_name(user: User) -> str:
    officer = getattr(user, "officer", None)
    return getattr(officer, "name", "") or user.get_username()


def month_status(month: str) -> dict:
    """``{"published": bool, "publication": {...} | None}`` for a month."""
    publication = current_publication(month)
    return {"published": publication is not None,
            "publication": publication_dict(publication)}


# -- publishing ---------------------------------------------------------------------------------

def _is_past(month: str, now: datetime) -> bool:
    from .evaluation import month_bounds

    _start, end = month_bounds(month)
    return end <= now


def _scheme_snapshot() -> dict:
    from .evaluation import active_scheme, weights

    scheme = active_scheme()
    return {"name": scheme.name,
            "weights": {k: str(v) for k, v in weights(scheme).items()}}


@transaction.atomic
def evaluation_publish(*, month: str, actor: User,
                       reason: str = "") -> EvaluationPublication:
    """Freeze ``month`` (YYYY-MM): every level, for each district and for all together. A month
    already published is published again only with a reason; the earlier version is kept,
    marked superseded."""
    from .evaluation import LEVELS, evaluate, month_bounds

    decision = authority.of(actor).can_publish_evaluation()
    if not decision:
        raise DomainError(decision.code, decision.reason)
    try:
        month_bounds(month)
    except ValueError as exc:
        raise DomainError("invalid_input", _("Give the month as YYYY-MM.")) from exc
    now = clock.now()
    if not _is_past(month, now):
        raise DomainError("invalid_input", _(
            "Only a month that has ended can be published; this one is current or future."))
    reason = (reason or "").strip()
    # Lock the month's versions, so two publishers at once make v2 and v3, not two v2s.
    earlier = list(EvaluationPublication.objects.select_for_update()
                   .filter(month=month).order_by("version"))
    current = next((p for p in earlier if p.superseded_at is None), None)
    if current is not None and not reason:
        raise DomainError("invalid_input", _(
            "This month is already published; a reason is required to publish it again."))
    if current is not None:
        # Superseded first, so evaluate() below computes the month live again.
        current.superseded_at = now
        current.save(update_fields=["superseded_at"])
    scopes = [None, *Region.objects.filter(level=Region.Level.DISTRICT)
              .order_by("pk").values_list("pk", flat=True)]
    computed = [(district, level, evaluate(month, level, district=district))
                for district in scopes for level in LEVELS]
    # Created after computing: from here on evaluate() answers from this version.
    publication = EvaluationPublication.objects.create(
        month=month, version=(earlier[-1].version + 1) if earlier else 1, published_by=actor,
        published_at=now, reason=reason, scheme=_scheme_snapshot(), levels=list(LEVELS))
    if current is not None:
        current.superseded_by = publication
        current.save(update_fields=["superseded_by"])
    snapshot = [
        EvaluationSnapshotRow(publication=publication, level=level, district_id=district,
                              unit_id=row.unit_id, position=position, name=row.name,
                              rank=row.rank, score=row.score, data=row.as_dict())
        for district, level, rows in computed for position, row in enumerate(rows)]
    EvaluationSnapshotRow.objects.bulk_create(snapshot, batch_size=2000)
    return publication


# -- the review meeting -------------------------------------------------------------------------

def _require(decision: authority.Decision) -> None:
    if not decision:
        raise DomainError(decision.code, decision.reason)


def _published_unit(month: str, level: str, unit_id: int) -> tuple[EvaluationPublication, str]:
    publication = current_publication(month)
    if publication is None:
        raise DomainError("invalid_input", _("Publish the month before reviewing it."))
    name = (EvaluationSnapshotRow.objects.filter(publication=publication, level=level,
                                                 unit_id=unit_id)
            .values_list("name", flat=True).first())
    if name is None:
        raise DomainError("not_found", _("No such unit in the published month."))
    return publication, name


def review_for(month: str, level: str, unit_id: int) -> UnitReview | None:
    return UnitReview.objects.filter(month=month, level=level, unit_id=unit_id).first()


@transaction.atomic
def review_write(*, month: str, level: str, unit_id: int, actor: User,
                 comment: str) -> UnitReview:
    """Write (or rewrite) the 点评 of a unit's published month."""
    _require(authority.of(actor).can_review(level, unit_id))
    publication, name = _published_unit(month, level, unit_id)
    review, _created = UnitReview.objects.select_for_update().get_or_create(
        month=month, level=level, unit_id=unit_id,
        defaults={"unit_name": name, "publication": publication, "written_by": actor,
                  "written_at": clock.now(), "comment": ""})
    review.comment = (comment or "").strip()
    review.publication, review.written_by, review.written_at = publication, actor, clock.now()
    review.save()
    return review


def _review_row(month: str, level: str, unit_id: int, actor: User) -> UnitReview:
    _require(authority.of(actor).can_review(level, unit_id))
    review = review_for(month, level, unit_id)
    if review is None:
        publication, name = _published_unit(month, level, unit_id)
        try:
            with transaction.atomic():
                review = UnitReview.objects.create(
                    month=month, level=level, unit_id=unit_id, unit_name=name,
                    publication=publication, written_by=actor, written_at=clock.now())
        except IntegrityError:
            review = review_for(month, level, unit_id)
            assert review is not None  # the row the concurrent writer created
    return review


def _number(value, what: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise DomainError("invalid_input", _("%(what)s must be a number.") % {"what": what}) \
            from exc
    if not number.is_finite() or number < 0:
        raise DomainError("invalid_input", _("%(what)s must be a number.") % {"what": what})
    return number


@transaction.atomic
def decision_add(*, month: str, level: str, unit_id: int, actor: User, kind: str,
                 reason: str, amount=None, points=None) -> Decision:
    """Record a reward or penalty (表扬, 通报批评, 约谈, 奖励, 扣罚) for a unit, with its reason;
    a reward or penalty needs an amount or points."""
    review = _review_row(month, level, unit_id, actor)
    if kind not in Decision.Kind.values:
        raise DomainError("invalid_input", _("Unknown kind of decision."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("invalid_input", _("A decision needs its reason."))
    amount, points = _number(amount, _("The amount")), _number(points, _("The points"))
    if kind in (Decision.Kind.REWARD, Decision.Kind.PENALTY) and amount is None \
            and points is None:
        raise DomainError("invalid_input", _("A reward or penalty needs an amount or points."))
    return Decision.objects.create(review=review, kind=kind, amount=amount, points=points,
                                   reason=reason, decided_by=actor, decided_at=clock.now())


@transaction.atomic
def follow_up_add(*, month: str, level: str, unit_id: int, actor: User,
                  requirement: str, responsible: Officer, deadline: date) -> FollowUp:
    """A requirement of the meeting with the officer responsible and a deadline."""
    review = _review_row(month, level, unit_id, actor)
    requirement = (requirement or "").strip()
    if not requirement:
        raise DomainError("invalid_input", _("Write what is required."))
    if deadline < timezone.localdate(clock.now()):
        raise DomainError("invalid_input", _("The deadline cannot be in the past."))
    return FollowUp.objects.create(review=review, requirement=requirement,
                                   responsible=responsible, deadline=deadline,
                                   created_by=actor, created_at=clock.now())


@transaction.atomic
def follow_up_done(*, follow_up: FollowUp, actor: User, note: str = "") -> FollowUp:
    """The responsible officer (or a bureau administrator) reports a follow-up carried out."""
    locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    _require(authority.of(actor).can_complete_follow_up(locked.responsible_id))
    if locked.done_at is not None:
        raise DomainError("conflict", _("This follow-up is already done."))
    locked.done_at, locked.done_by, locked.done_note = clock.now(), actor, (note or "").strip()
    locked.save(update_fields=["done_at", "done_by", "done_note"])
    return locked


# -- what the meeting reads -----------------------------------------------------------------------

@dataclass
class ReviewedUnit:
    review: UnitReview
    decisions: list[Decision]
    follow_ups: list[FollowUp]


def reviews_of_month(month: str) -> list[ReviewedUnit]:
    reviews = (UnitReview.objects.filter(month=month)
               .prefetch_related("decisions", "follow_ups__responsible")
               .order_by("level", "unit_name"))
    return [ReviewedUnit(r, list(r.decisions.all()), list(r.follow_ups.all())) for r in reviews]


def open_follow_ups(user: User) -> list[FollowUp]:
    """The follow-ups still open that ``user`` may read: all of them for the meeting's
    organisers, their own and their units' for everyone else."""
    who = authority.of(user)
    rows = (FollowUp.objects.filter(done_at__isnull=True)
            .select_related("review", "responsible").order_by("deadline", "pk"))
    mine = who.officer.pk if who.officer else None
    found = [f for f in rows if who.can_hold_meeting() or f.responsible_id == mine
             or who.can_read_review(f.review.level, f.review.unit_id)]
    for f in found:
        f.can_complete = bool(  # type: ignore[attr-defined]  # for the template
            who.can_complete_follow_up(f.responsible_id))
    return found


def reviews_for_reader(user: User, month: str | None = None) -> list[UnitReview]:
    """The reviews of the units ``user`` answers for (a street leader's street), newest first."""
    who = authority.of(user)
    rows = UnitReview.objects.order_by("-month", "level", "unit_name")
    if month:
        rows = rows.filter(month=month)
    return [r for r in rows[:200] if who.answers_for(r.level, r.unit_id)]


def follow_ups_for_review(review: UnitReview | None, user: User) -> list[FollowUp]:
    """A review's follow-ups, each with ``can_complete`` for ``user``."""
    if review is None:
        return []
    who = authority.of(user)
    rows = list(review.follow_ups.select_related("responsible", "done_by"))
    for f in rows:
        f.can_complete = (  # type: ignore[attr-defined]  # for the template
            f.done_at is None and bool(who.can_complete_follow_up(f.responsible_id)))
    return rows
