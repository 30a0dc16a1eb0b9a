"""The source of a report is fixed by the channel and the reporter's duties (DESIGN: sources
cannot be gamed): nobody files a find under a source they may not claim."""

from __future__ import annotations

import pytest

from gridmgmt.models import Role
from tasks_app import authority
from tasks_app.authority import Channel
from tasks_app.errors import DomainError
from tasks_app.models import Source
from tests import factories as f


@pytest.fixture
def evaluator(world):
    officer = f.OfficerFactory(user=f.UserFactory(username="evaluator"), name="第三方测评员")
    f.DutyFactory(officer=officer, role=Role.EVALUATOR, region=world.district)
    return officer


@pytest.mark.parametrize(("persona", "channel", "sources"), [
    ("grid_officer", Channel.PHONE, (Source.PATROL,)),
    ("road_chief", Channel.API, (Source.PATROL,)),
    ("inspector", Channel.PHONE, (Source.INSPECTOR,)),
    ("evaluator", Channel.PHONE, (Source.THIRD_PARTY,)),
    ("evaluator", Channel.API, (Source.THIRD_PARTY,)),
    ("grid_officer", Channel.DESK, ()),
    ("street_leader", Channel.DESK, (Source.HOTLINE, Source.CITY_INSPECTION,
                                     Source.THIRD_PARTY, Source.MEDIA, Source.CITIZEN)),
])
def test_each_channel_and_duty_fixes_the_sources_a_report_may_carry(
        world, evaluator, persona, channel, sources):
    who = evaluator if persona == "evaluator" else getattr(world, persona)
    assert authority.of(who.user).report_sources(channel) == sources


def test_a_source_the_reporter_may_not_claim_is_refused(world, evaluator):
    auth = authority.of(world.grid_officer.user)
    assert auth.report_source(Channel.PHONE) == Source.PATROL
    for claimed in (Source.THIRD_PARTY, Source.HOTLINE, Source.INSPECTOR):
        with pytest.raises(DomainError) as refused:
            auth.report_source(Channel.API, claimed)
        assert refused.value.code == "forbidden"
    # An evaluator's finds are third-party finds; he cannot file them as patrol.
    with pytest.raises(DomainError):
        authority.of(evaluator.user).report_source(Channel.PHONE, Source.PATROL)


def test_the_phone_files_an_evaluators_find_as_third_party(world, evaluator, client):
    from tasks_app.models import Task
    from tests.workflow.conftest import photo

    client.force_login(evaluator.user)
    lng, lat = world.point_g1
    response = client.post("/m/report/", {
        "category": world.category.pk, "lng": lng, "lat": lat, "description": "测评发现",
        "key": "evaluator-report-1", "photos": [photo()]})
    assert response.status_code in (200, 302), response.content[:500]
    assert Task.objects.get().source == Source.THIRD_PARTY
