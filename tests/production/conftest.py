"""Production's static storage for the tests in this folder: collectstatic runs once per session
into a temporary STATIC_ROOT, and every test here reads the hashed names from its manifest, as
gunicorn with DEBUG off does. The rest of the suite keeps the plain storage (tests/conftest.py),
so this folder is where a page that only breaks with the manifest shows up."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test.utils import override_settings

# What config/settings.py chooses with DEBUG off, written out: the test asserts the settings agree.
PRODUCTION_STATIC = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    root = tmp_path_factory.mktemp("static-root")
    storages = {**django_settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STATIC}}
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0, stdout=io.StringIO())
    return root


@pytest.fixture(autouse=True)
def _production_static(_plain_http, settings, collected_static):
    # Requests _plain_http so that it runs first and this fixture undoes its static swap.
    settings.STATIC_ROOT = collected_static
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STATIC}}
    settings.DEBUG = False


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo district (every status, repeats, escalations, three months of history), loaded
    once for the module and flushed when it is done."""
    media = tmp_path_factory.mktemp("seed-media")
    with django_db_blocker.unblock(), override_settings(
        MEDIA_ROOT=media, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        call_command("load_seeds", stdout=io.StringIO(), stderr=io.StringIO())
        yield SimpleNamespace(media=media)
        call_command("flush", interactive=False, verbosity=0)
