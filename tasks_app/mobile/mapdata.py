"""A plain drawing of the officer's area for the report page: grid outlines and road lines as
SVG, no tiles, so a tap can be turned back into a longitude and latitude in the browser."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from shapely.geometry import box

from gridmgmt.errors import DomainError
from gridmgmt.geometry import line_from_geojson, polygon_from_geojson
from gridmgmt.models import Grid, Officer, Road, Role
from gridmgmt.selectors import duties_of, regions_below
from gridmgmt.services import locate

MAX_GRIDS = 150
MAX_ROADS = 300
WIDTH = 1000.0  # SVG user units across the map


@dataclass
class AreaMap:
    min_lng: float
    max_lat: float
    kx: float  # SVG units per degree of longitude
    ky: float  # SVG units per degree of latitude
    height: float
    grids: list[dict] = field(default_factory=list)
    roads: list[dict] = field(default_factory=list)

    @property
    def width(self) -> float:
        return WIDTH

    @property
    def centre(self) -> tuple[float, float]:
        return self.min_lng + WIDTH / 2 / self.kx, self.max_lat - self.height / 2 / self.ky


def _area_grids(officer: Officer | None, at: datetime) -> tuple[list[Grid], list[Road]]:
    if officer is None:
        return list(Grid.objects.all()[:MAX_GRIDS]), []
    grid_q, regions = Q(pk__in=[]), []
    roads: list[Road] = []
    for duty in duties_of(officer, at=at):
        if duty.role == Role.GRID_OFFICER:
            grid_q |= Q(pk=duty.grid_id)
        elif duty.role == Role.ROAD_CHIEF:
            assert duty.road is not None  # a road chief's duty is held at a road (Duty.TARGET)
            roads.append(duty.road)
        elif duty.region_id:
            regions.append(duty.region_id)
        elif duty.department and duty.department.district_id:
            regions.append(duty.department.district_id)
    if regions:
        grid_q |= regions_below(regions)
    if roads:
        grid_q |= Q(pk__in=_grids_along(roads))
    grids = list(Grid.objects.filter(grid_q)[:MAX_GRIDS])
    if not grids and not roads:
        grids = list(Grid.objects.all()[:MAX_GRIDS])
    return grids, roads


def _grids_along(roads: list[Road], samples: int = 40) -> set[int]:
    """The grids a road chief's roads run through, found by locating points along them."""
    found: set[int] = set()
    for road in roads:
        line = line_from_geojson(road.centre_line)
        for i in range(samples + 1):
            pt = line.interpolate(i / samples, normalized=True)
            try:
                found.add(locate(pt.x, pt.y).grid.pk)
            except DomainError:
                continue  # a stretch outside every grid
    return found


def area_map(officer: Officer | None, *, at: datetime) -> AreaMap | None:
    grids, own_roads = _area_grids(officer, at)
    shapes = [(g, polygon_from_geojson(g.boundary)) for g in grids]
    lines = [(r, line_from_geojson(r.centre_line)) for r in own_roads]
    geoms = [s for _, s in shapes] + [ln for _, ln in lines]
    if not geoms:
        return None
    min_x = min(g.bounds[0] for g in geoms)
    min_y = min(g.bounds[1] for g in geoms)
    max_x = max(g.bounds[2] for g in geoms)
    max_y = max(g.bounds[3] for g in geoms)
    pad_x, pad_y = max((max_x - min_x) * 0.05, 0.0005), max((max_y - min_y) * 0.05, 0.0005)
    min_x, max_x, min_y, max_y = min_x - pad_x, max_x + pad_x, min_y - pad_y, max_y + pad_y
    # Equirectangular at the middle latitude: true enough for a few kilometres.
    shrink = math.cos(math.radians((min_y + max_y) / 2))
    kx = WIDTH / (max_x - min_x)
    ky = kx / shrink
    amap = AreaMap(min_lng=min_x, max_lat=max_y, kx=kx, ky=ky, height=(max_y - min_y) * ky)

    def pts(coords) -> str:
        return " ".join(f"{(x - min_x) * kx:.1f},{(max_y - y) * ky:.1f}" for x, y in coords)

    for grid, poly in shapes:
        # The name near the top of the grid, where it does not hide the place tapped.
        c = poly.representative_point()
        top = (max_y - poly.bounds[3]) * ky + 50
        parts = [pts(p.exterior.coords) for p in getattr(poly, "geoms", [poly])]
        amap.grids.append({"code": grid.code, "name": grid.name, "parts": parts,
                           "x": f"{(c.x - min_x) * kx:.1f}", "y": f"{top:.1f}"})
    frame = box(min_x, min_y, max_x, max_y)
    seen = {r.pk for r, _ in lines}
    for road in Road.objects.exclude(pk__in=seen)[:MAX_ROADS]:
        line = line_from_geojson(road.centre_line)
        if line.intersects(frame):
            lines.append((road, line))
    for road, line in lines:
        clipped = line.intersection(frame)
        for part in getattr(clipped, "geoms", [clipped]):
            if part.geom_type == "LineString" and not part.is_empty:
                amap.roads.append({"name": road.name, "points": pts(part.coords)})
    return amap
