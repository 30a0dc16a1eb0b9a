"""Open311 GeoReport v2 for other systems: citizen apps and the 12345 hotline."""

from __future__ import annotations
