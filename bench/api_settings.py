"""Settings for the api_list benchmark's server: the product's, plus a bench-only URLconf with
the bare baseline view. Never used by the product."""

from __future__ import annotations

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
