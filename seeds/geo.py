"""The demo area's geometry: a lattice of unit grids with slightly crooked shared edges, and roads.

Neighbouring grids share the very same vertex coordinates, so the grids tile the rectangle
exactly (no gaps, no overlaps) while not looking like a spreadsheet. The outer edge stays straight.
"""

from __future__ import annotations

import random

from . import data

JITTER = 0.18  # share of a cell a vertex may move: small enough that every cell stays convex


def lattice_point(col: float, row: float) -> tuple[float, float]:
    return (round(data.ORIGIN[0] + col * data.CELL[0], 6),
            round(data.ORIGIN[1] + row * data.CELL[1], 6))


def bounds() -> tuple[float, float, float, float]:
    (x0, y0), (x1, y1) = lattice_point(0, 0), lattice_point(data.COLS, data.ROWS)
    return x0, y0, x1, y1


def vertices(seed: int = data.SEED) -> list[list[tuple[float, float]]]:
    """vertices[i][j]: the corner at column line i, row line j. Border vertices move only along
    the border, corners not at all."""
    rng = random.Random(seed)
    out = []
    for i in range(data.COLS + 1):
        column = []
        for j in range(data.ROWS + 1):
            dx = 0.0 if i in (0, data.COLS) else rng.uniform(-JITTER, JITTER)
            dy = 0.0 if j in (0, data.ROWS) else rng.uniform(-JITTER, JITTER)
            column.append(lattice_point(i + dx, j + dy))
        out.append(column)
    return out


def cell_polygon(verts: list[list[tuple[float, float]]], col: int, row: int) -> dict:
    ring = [verts[col][row], verts[col + 1][row], verts[col + 1][row + 1], verts[col][row + 1]]
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


def road_line(points: list[tuple[float, float]]) -> dict:
    return {"type": "LineString", "coordinates": [list(lattice_point(c, r)) for c, r in points]}
