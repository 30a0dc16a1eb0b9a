"""Production settings pass Django's deployment checklist, and the check can fail."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

MANAGE = Path(__file__).resolve().parent.parent / "manage.py"
# Settings a developer may have set to loosen security; production runs without them.
LOOSENERS = ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD",
             "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECRET_KEY", "DEBUG")


def _deploy_check(**overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in LOOSENERS}
    env.update(DEBUG="0", ALLOWED_HOSTS="tasks.example.org",
               DJANGO_SETTINGS_MODULE="config.settings", **overrides)
    return subprocess.run(
        [sys.executable, str(MANAGE), "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, timeout=120, cwd=MANAGE.parent,
    )


def test_production_settings_pass_the_deploy_check():
    key = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789!@#%^&*(-_=+)")
                  for _ in range(50))
    result = _deploy_check(SECRET_KEY=key)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_development_secret_key_fails_the_deploy_check():
    result = _deploy_check()
    assert result.returncode != 0
    assert "security.W009" in result.stderr
