"""A patrol's route as a plain SVG drawing for the phone: the grids and roads it covered and the
line of its check-ins, problems marked. No tiles, no script."""

from __future__ import annotations

import math

from django.conf import settings

from gridmgmt.geometry import line_from_geojson, polygon_from_geojson

from .models import CheckIn, Patrol

WIDTH = 1000.0
MIN_SPAN_DEG = 0.003  # about 300 m: a short walk is not drawn as a blown-up scribble


def check_in_seconds() -> int:
    """How often the phone sends a position while walking (it sends sooner after a turn of
    some metres, never more often than this)."""
    return int(getattr(settings, "PATROL_CHECK_IN_SECONDS", 15))


def drawing(patrol: Patrol) -> dict | None:
    points = list(patrol.check_ins.order_by("at", "pk").values_list("lng", "lat", "kind",
                                                                     "counted"))
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    span = max(max(xs) - min(xs), (max(ys) - min(ys)) / math.cos(math.radians(cy)),
               MIN_SPAN_DEG) * 1.2
    min_x, max_x = cx - span / 2, cx + span / 2
    shrink = math.cos(math.radians(cy))
    kx = WIDTH / (max_x - min_x)
    ky = kx / shrink
    half_h = (max(ys) - min(ys)) / 2 + span * shrink * 0.25
    max_y, min_y = cy + half_h, cy - half_h
    height = (max_y - min_y) * ky

    def xy(x: float, y: float) -> str:
        return f"{(x - min_x) * kx:.1f},{(max_y - y) * ky:.1f}"

    grids, roads = [], []
    for place in patrol.places.select_related("road", "grid"):
        # Exactly one of the two is set (the visit_one_place constraint).
        if place.grid is not None:
            poly = polygon_from_geojson(place.grid.boundary)
            for part in getattr(poly, "geoms", [poly]):
                grids.append({"name": place.grid.name,
                              "points": " ".join(xy(x, y) for x, y in part.exterior.coords)})
        elif place.road is not None:
            line = line_from_geojson(place.road.centre_line)
            for part in getattr(line, "geoms", [line]):
                roads.append({"name": place.road.name,
                              "points": " ".join(xy(x, y) for x, y in part.coords)})
    walked = [xy(x, y) for x, y, _kind, counted in points if counted]
    problems = [xy(x, y).split(",") for x, y, kind, _c in points if kind == CheckIn.Kind.PROBLEM]
    start, last = xy(*points[0][:2]).split(","), xy(*points[-1][:2]).split(",")
    return {"width": WIDTH, "height": f"{height:.1f}", "grids": grids, "roads": roads,
            "route": " ".join(walked), "problems": problems, "start": start, "end": last}
