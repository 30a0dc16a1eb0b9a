"""What the server process does when it loads the app (config/wsgi.py), in a process of its own
as gunicorn starts one: start-up's objects are frozen out of the collector's way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_loading_the_app_freezes_what_start_up_made():
    code = ("import gc; gc.collect(); import config.wsgi; "
            "print(gc.get_freeze_count(), len(gc.get_objects()))")
    env = dict(os.environ, WARM_AT_START="false")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    frozen, tracked = int(out[0]), int(out[1])
    # Django and the app are tens of thousands of objects; what is left to the collector after
    # the freeze is what the two lines above made since.
    assert frozen > 20_000
    assert tracked < frozen / 10
