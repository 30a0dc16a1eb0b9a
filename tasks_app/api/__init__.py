"""The product's interface for apps and other systems: REST API v1 (DRF) under /api/ and Open311
GeoReport v2 under /open311/v2/. Both call the same ``services`` and ``selectors`` as the pages."""

from __future__ import annotations
