"""Shared fixtures: a small world with one officer for every role (persona fixtures).

Layout (squares of 0.01°): district D1 → streets S1, S2 → communities C1 (S1), C2 (S2).
Grid G1 is cell (0, 0) in C1, grid G2 is cell (1, 0) in C2; road R1 runs east-west through both
at latitude 30.005. Every officer's password is ``pass-12345``.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test.utils import override_settings

from gridmgmt.models import Region, Role
from tests import factories as f


@pytest.fixture(scope="session", autouse=True)
def _empty_static_root(tmp_path_factory):
    # WhiteNoise warns, once per client and live server, that var/static does not exist: tests
    # run without collectstatic (but tests/production), so an empty STATIC_ROOT for the session,
    # set before any session-wide live server loads its middleware.
    root = tmp_path_factory.mktemp("static-root-empty")
    with override_settings(STATIC_ROOT=root):
        yield root


@pytest.fixture(autouse=True)
def _empty_cache():
    # Each test starts with an empty cache: what one test cached (the dashboard's trend of past
    # days is keyed by ids and days that another test's world repeats) is not another's.
    cache.clear()


@pytest.fixture(autouse=True)
def _plain_http(settings, tmp_path):
    # Production defaults redirect to HTTPS and mark cookies secure; the test client speaks HTTP.
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Hashing ten persona passwords per test with PBKDF2 costs seconds; tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Production serves hashed static names from collectstatic's manifest; tests have none
    # (except tests/production, which collects them once).
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


def _officer(username: str, role: str, **target):
    user = f.UserFactory(username=username)
    officer = f.OfficerFactory(user=user, name=username)
    f.DutyFactory(officer=officer, role=role, **target)
    return officer


@pytest.fixture
def world(db):
    d1 = f.RegionFactory(code="D1", name="示范区", level=Region.Level.DISTRICT)
    s1 = f.RegionFactory(code="S1", name="东街道", level=Region.Level.STREET, parent=d1)
    s2 = f.RegionFactory(code="S2", name="西街道", level=Region.Level.STREET, parent=d1)
    c1 = f.RegionFactory(code="C1", name="一社区", level=Region.Level.COMMUNITY, parent=s1)
    c2 = f.RegionFactory(code="C2", name="二社区", level=Region.Level.COMMUNITY, parent=s2)
    g1 = f.GridFactory(code="G1", name="一号网格", community=c1, boundary=f.square(0, 0))
    g2 = f.GridFactory(code="G2", name="二号网格", community=c2, boundary=f.square(1, 0))
    r1 = f.RoadFactory(code="R1", name="中山路")
    dept = f.DepartmentFactory(code="HW", name="环卫所", district=d1)
    w = SimpleNamespace(
        district=d1, street1=s1, street2=s2, community1=c1, community2=c2,
        grid1=g1, grid2=g2, road=r1, department=dept,
        grid_officer=_officer("grid1", Role.GRID_OFFICER, grid=g1),
        other_grid_officer=_officer("grid2", Role.GRID_OFFICER, grid=g2),
        road_chief=_officer("roadchief", Role.ROAD_CHIEF, road=r1),
        community_head=_officer("commhead", Role.COMMUNITY_HEAD, region=c1),
        street_leader=_officer("streetlead", Role.STREET_LEADER, region=s1),
        other_street_leader=_officer("streetlead2", Role.STREET_LEADER, region=s2),
        supervisor=_officer("supervisor", Role.DISTRICT_SUPERVISOR, region=d1),
        handler=_officer("handler", Role.HANDLER, department=dept),
        inspector=_officer("inspector", Role.INSPECTOR, region=d1),
        category=f.CategoryFactory(code="GARBAGE", name="垃圾满溢", time_limit=4),
        # Inside G1, 10 m north of the road's centre line.
        point_g1=(0.005 + 120.0, 30.005 + 0.00009),
        point_g2=f.cell_centre(1, 0),
    )
    w.handler.department = dept
    w.handler.save()
    return w


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free loopback port; Django sends to it."""
    from tests.smtp import SmtpServer

    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, built while HTTPS redirects are off: the security middleware
    reads SECURE_SSL_REDIRECT once, when the server thread loads it, before any per-test
    settings fixture runs, and production's default (on) would send the browser to https://."""
    from django.test.utils import override_settings
    from pytest_django.live_server_helper import LiveServer

    with override_settings(SECURE_SSL_REDIRECT=False):
        server = LiveServer(request.config.getvalue("liveserver") or "localhost")
    yield server
    server.stop()
