"""The console's and the phone's language follows the signed-in user, not the last user's
cookie on a shared browser."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse


@pytest.fixture
def english_officer(world):
    world.grid_officer.language = "en"
    world.grid_officer.save()
    return world.grid_officer


@pytest.fixture
def supervisor(world):
    user = world.supervisor.user
    user.is_staff = True
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="view_task"))
    return user


def _login(client, url, username):
    response = client.post(url, {"username": username, "password": "pass-12345"})
    assert response.status_code == 302, response.content.decode()[:500]


def test_an_english_officer_gets_english_pages_whatever_the_browser_asks(client,
                                                                          english_officer):
    _login(client, reverse("mobile:login"), "grid1")
    response = client.get(reverse("mobile:tasks"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response["Content-Language"] == "en"
    assert 'lang="en"' in response.content.decode()


def test_the_next_user_on_the_browser_gets_their_own_language(client, english_officer,
                                                              supervisor):
    _login(client, reverse("mobile:login"), "grid1")
    assert client.get(reverse("mobile:tasks"))["Content-Language"] == "en"
    client.post(reverse("mobile:logout"))

    login_page = client.get(reverse("admin:login"))
    assert login_page["Content-Language"] == "zh-hans"
    assert "登录" in login_page.content.decode()

    _login(client, reverse("admin:login"), "supervisor")
    console = client.get(reverse("admin:tasks_app_task_changelist"))
    assert console.status_code == 200
    assert console["Content-Language"] == "zh-hans"
    page = console.content.decode()
    assert 'lang="zh-hans"' in page and "督导台" in page  # the console's title
    assert "Log out" not in page and "Select " not in page


def test_logging_out_deletes_the_language_cookie(client, english_officer):
    _login(client, reverse("mobile:login"), "grid1")
    assert client.cookies["django_language"].value == "en"
    response = client.post(reverse("mobile:logout"))
    assert response.cookies["django_language"]["max-age"] == 0
    assert client.get(reverse("mobile:login"))["Content-Language"] == "zh-hans"


def test_a_language_cookie_of_no_current_session_is_ignored_and_deleted(client, world):
    # Left by an expired session, or by the earlier phone login that kept it for a year.
    client.cookies["django_language"] = "en"
    response = client.get(reverse("mobile:login"))
    assert response["Content-Language"] == "zh-hans"
    assert response.cookies["django_language"]["max-age"] == 0


def test_a_login_without_an_officer_gets_the_default_language(client, db):
    from tests.factories import UserFactory

    UserFactory(username="root", is_staff=True, is_superuser=True)
    client.cookies["django_language"] = "en"
    _login(client, reverse("admin:login"), "root")
    assert client.get(reverse("admin:index"))["Content-Language"] == "zh-hans"


def test_an_officer_switches_his_language_and_the_next_user_does_not_inherit_it(client, world):
    """The phone's language switch keeps the choice on the officer's record (his pages and mail)
    and in his session only: after his logout the next officer gets her own language."""
    _login(client, reverse("mobile:login"), "grid1")
    page = client.get(reverse("mobile:tasks"))
    assert page["Content-Language"] == "zh-hans" and 'value="en"' in page.content.decode()

    switched = client.post(reverse("mobile:language"),
                           {"language": "en", "next": reverse("mobile:report")})
    assert switched.status_code == 302 and switched["Location"] == reverse("mobile:report")
    world.grid_officer.refresh_from_db()
    assert world.grid_officer.language == "en"
    english = client.get(reverse("mobile:tasks"))
    assert english["Content-Language"] == "en" and "My tasks" in english.content.decode()

    client.post(reverse("mobile:logout"))
    assert client.get(reverse("mobile:login"))["Content-Language"] == "zh-hans"
    _login(client, reverse("mobile:login"), "grid2")
    assert client.get(reverse("mobile:tasks"))["Content-Language"] == "zh-hans"


def test_the_language_switch_refuses_an_unknown_language_and_foreign_redirects(client, world):
    _login(client, reverse("mobile:login"), "grid1")
    assert client.post(reverse("mobile:language"), {"language": "fr"}).status_code == 400
    world.grid_officer.refresh_from_db()
    assert world.grid_officer.language == "zh-hans"
    away = client.post(reverse("mobile:language"),
                       {"language": "en", "next": "https://evil.example/"})
    assert away["Location"] == reverse("mobile:tasks")
    assert client.get(reverse("mobile:language")).status_code == 405
