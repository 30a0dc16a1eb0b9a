"""GeoJSON parsing and a metric projection, with shapely (no system GDAL).

The bureau's area spans a few kilometres, so a local equirectangular projection around a fixed
origin gives distances within a fraction of a percent: good enough for a 30 m road tolerance and a
50 m repeat radius, and far cheaper than a full geodesic library.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from shapely import LineString, MultiLineString, MultiPolygon, Point, Polygon
from shapely.geometry import shape

EARTH_RADIUS_M = 6_371_008.8


def _shape(data: Any, kinds: tuple[type[Any], ...], label: str):
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    try:
        geom = shape(data)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise ValueError(f"Not a GeoJSON {label}: {exc}") from exc
    if not isinstance(geom, kinds) or geom.is_empty:
        raise ValueError(f"Not a GeoJSON {label}.")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValueError("Coordinates must be WGS-84 longitude, latitude.")
    return geom


def polygon_from_geojson(data: Any) -> Polygon | MultiPolygon:
    geom = _shape(data, (Polygon, MultiPolygon), "polygon")
    if not geom.is_valid:
        raise ValueError("The polygon is not valid (self-intersecting or badly closed).")
    return geom


def line_from_geojson(data: Any) -> LineString | MultiLineString:
    return _shape(data, (LineString, MultiLineString), "line")


def parse_lng_lat(lng: Any, lat: Any) -> tuple[float, float]:
    """Coerce and check a WGS-84 longitude/latitude pair; ValueError when it is not one."""
    try:
        x, y = float(lng), float(lat)
    except (TypeError, ValueError, OverflowError) as exc:  # Overflow: an int beyond any float
        raise ValueError("Longitude and latitude must be numbers.") from exc
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError("Longitude and latitude must be finite numbers.")
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise ValueError("Longitude must lie in [-180, 180] and latitude in [-90, 90].")
    return x, y


class LocalProjection:
    """Metres east/north of an origin; accurate to well under 1 % across a city."""

    def __init__(self, origin_lat: float) -> None:
        self.ky = math.pi * EARTH_RADIUS_M / 180
        self.kx = self.ky * math.cos(math.radians(origin_lat))

    def xy(self, lng: float, lat: float) -> tuple[float, float]:
        return lng * self.kx, lat * self.ky

    def point(self, lng: float, lat: float) -> Point:
        return Point(self.xy(lng, lat))

    def geom(self, g):
        scale = np.array([self.kx, self.ky])
        return shapely.transform(g, lambda coords: coords * scale)


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def degree_box(lng: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """A lng/lat box that contains the circle of radius_m around the point (for index filters)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlng = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lng - dlng, lat - dlat, lng + dlng, lat + dlat
