"""Placing an address that names a road or a grid (an Open311 request may send only its address).

The bureau has no street-number gazetteer, but it knows its roads and grids by name: an address
that names one road is placed on that road's centre line, one that names a grid at the grid's
centre, one that names two crossing roads ("中山路与解放路交叉口") where they cross, and a road and
a grid where the road runs through the grid. An address that names nothing we know, or places
that do not meet, is not placed: the caller must ask for a point instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db.models import F, Q, Value
from django.db.models.functions import Upper
from shapely import LineString, MultiLineString, Point, Polygon

from .geometry import line_from_geojson, polygon_from_geojson
from .models import Grid, Road


@dataclass(frozen=True)
class Place:
    lng: float
    lat: float
    names: tuple[str, ...]  # the roads and grids the address named, as it named them


def _named(text: str, name: str) -> bool:
    """``name`` occurs in ``text`` as a whole word where it is Latin: "G1" is not in "G12"."""
    name = name.strip()
    if not name:
        return False
    before = r"(?<![0-9a-z])" if name[0].isascii() and name[0].isalnum() else ""
    after = r"(?![0-9a-z])" if name[-1].isascii() and name[-1].isalnum() else ""
    return re.search(before + re.escape(name.casefold()) + after, text) is not None


def _longest(found: dict[int, tuple[str, Any]]) -> dict[int, tuple[str, Any]]:
    # An address on "人民路东段" also contains "人民路": a name inside a longer name found in the
    # same address is not named on its own.
    names = [n for n, _g in found.values()]
    return {pk: (n, g) for pk, (n, g) in found.items()
            if not any(n != other and n.casefold() in other.casefold() for other in names)}


def _point_in(geom) -> Point:
    if isinstance(geom, Point):
        return geom
    if isinstance(geom, LineString | MultiLineString):
        return geom.interpolate(0.5, normalized=True) if isinstance(geom, LineString) \
            else max(geom.geoms, key=lambda g: g.length).interpolate(0.5, normalized=True)
    if isinstance(geom, Polygon):
        centre = geom.centroid
        return centre if geom.covers(centre) else geom.representative_point()
    return geom.representative_point()


def place_named(address: str) -> Place | None:
    """Where an address is, from the roads and grids it names; None when it names none of them
    or names places that do not meet."""
    text = " ".join((address or "").split()).casefold()
    if not text:
        return None
    upper = Upper(Value(text))
    # The database keeps only rows whose name occurs in the address; the word check follows.
    roads = {r.pk: (r.name, line_from_geojson(r.centre_line))
             for r in Road.objects.annotate(a=upper).filter(a__contains=Upper(F("name")))
             if _named(text, r.name)}
    grids: dict[int, tuple[str, Any]] = {}
    for g in Grid.objects.annotate(a=upper).filter(
            Q(a__contains=Upper(F("name"))) | Q(a__contains=Upper(F("code")))):
        label = g.name if _named(text, g.name) else g.code if _named(text, g.code) else None
        if label:
            grids[g.pk] = (label, polygon_from_geojson(g.boundary))
    found = [*_longest(roads).values(), *_longest(grids).values()]
    if not found:
        return None
    where = reduce(lambda a, b: a.intersection(b), [g for _n, g in found])
    if where.is_empty:
        return None
    point = _point_in(where)
    return Place(lng=point.x, lat=point.y, names=tuple(n for n, _g in found))
