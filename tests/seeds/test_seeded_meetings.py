"""load_seeds publishes the three months before now with their review meetings, through the
services (scheme, who, when), and a second load_seeds adds nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test.utils import override_settings

from gridmgmt import clock
from seeds import meetings
from tasks_app.evaluation import LEVELS, evaluate
from tasks_app.models import (
    Decision,
    EvaluationPublication,
    EvaluationScheme,
    EvaluationSnapshotRow,
    FollowUp,
    UnitReview,
)

pytestmark = pytest.mark.django_db
MODELS = (EvaluationScheme, EvaluationPublication, EvaluationSnapshotRow, UnitReview, Decision,
          FollowUp)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("seed-media"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    ):
        call_command("load_seeds", stdout=io.StringIO(), stderr=io.StringIO())
        yield
        call_command("flush", interactive=False, verbosity=0)


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


def test_three_months_are_published_by_the_bureau_administrator_with_the_seeded_scheme(seeded):
    months = meetings.months_before(clock.now())
    published = EvaluationPublication.objects.order_by("month")
    assert [p.month for p in published] == months
    scheme = EvaluationScheme.objects.get(is_active=True)
    assert scheme.name == meetings.SCHEME
    for p in published:
        assert (p.version, p.superseded_at, p.published_by.username) == (1, None, "bureau_admin")
        assert p.scheme["name"] == meetings.SCHEME and p.levels == list(LEVELS)
        # The month reads its snapshot.
        assert [r.unit_id for r in evaluate(p.month, "street")] == list(
            EvaluationSnapshotRow.objects.filter(publication=p, level="street",
                                                 district__isnull=True)
            .order_by("position").values_list("unit_id", flat=True))


def test_the_meetings_reviewed_the_first_and_last_streets_with_decisions_and_follow_ups(seeded):
    reviews = list(UnitReview.objects.order_by("month", "unit_name"))
    assert len(reviews) >= 4 and all(r.comment for r in reviews)
    kinds = set(Decision.objects.values_list("kind", flat=True))
    assert {"praise", "reward", "criticism", "penalty"} <= kinds
    penalty = Decision.objects.filter(kind="penalty").first()
    assert penalty.amount and penalty.reason
    follow_ups = FollowUp.objects.all()
    assert follow_ups.count() >= 2
    assert follow_ups.filter(done_at__isnull=False).exists()  # carried out
    assert follow_ups.filter(done_at__isnull=True).exists()  # still open
    for f in follow_ups:
        assert f.responsible.user == f.done_by or f.done_by is None


def test_a_second_load_seeds_adds_nothing(seeded):
    before = _counts()
    out = io.StringIO()
    call_command("load_seeds", stdout=out, stderr=io.StringIO())
    assert _counts() == before
    assert "Published" not in out.getvalue()
