"""Reads about responsibility: who held which role for a place at a given time."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from .models import Department, Duty, Grid, Officer, Region, Road, Role


def region_chain(grid: Grid) -> dict[str, Region | None]:
    community = grid.community
    street = community.parent if community else None
    district = street.parent if street else None
    return {"community": community, "street": street, "district": district}


def officers_holding(
    *,
    role: str,
    at: datetime,
    grid: Grid | None = None,
    road: Road | None = None,
    department: Department | None = None,
) -> QuerySet[Officer]:
    """Officers who held ``role`` for this grid, road or department at ``at``.

    Regional roles are found through the grid's region chain: the community head of the grid's
    community, the street leader of its street, the district supervisors of its district.
    """
    duties = Duty.objects.valid_at(at).filter(role=role)
    if role == Role.GRID_OFFICER:
        if grid is None:
            return Officer.objects.none()
        duties = duties.filter(grid=grid)
    elif role == Role.ROAD_CHIEF:
        if road is None:
            return Officer.objects.none()
        duties = duties.filter(road=road)
    elif role == Role.HANDLER:
        if department is None:
            return Officer.objects.none()
        duties = duties.filter(department=department)
    elif role in Duty.REGION_LEVEL or role == Role.INSPECTOR:
        if grid is None:
            return Officer.objects.none()
        chain = region_chain(grid)
        if role == Role.INSPECTOR:
            duties = duties.filter(region__in=[r for r in chain.values() if r])
        else:
            level = Duty.REGION_LEVEL[role]
            duties = duties.filter(region=chain[level])
    else:
        return Officer.objects.none()
    return Officer.objects.filter(pk__in=duties.values("officer_id")).order_by("pk")


def duties_of(officer: Officer, *, at: datetime) -> QuerySet[Duty]:
    return officer.duties.valid_at(at).select_related("region", "grid", "road", "department")


def regions_below(region_ids: list[int]) -> Q:
    """A filter on a Grid's community that matches grids inside any of the given regions."""
    return (
        Q(community_id__in=region_ids)
        | Q(community__parent_id__in=region_ids)
        | Q(community__parent__parent_id__in=region_ids)
    )


def officers_on_duty(
    *,
    roles: list[str],
    at: datetime,
    grids: QuerySet[Grid] | list[int] | None = None,
    roads: QuerySet[Road] | list[int] | None = None,
    departments: QuerySet[Department] | list[int] | None = None,
) -> QuerySet[Officer]:
    """Officers who held one of the field ``roles`` at ``at`` for any of these grids, roads or
    departments (None: none of that kind): a roster of many places at once, in one query."""
    places = Q(pk__in=[])
    if grids is not None:
        places |= Q(role=Role.GRID_OFFICER, grid__in=grids)
    if roads is not None:
        places |= Q(role=Role.ROAD_CHIEF, road__in=roads)
    if departments is not None:
        places |= Q(role=Role.HANDLER, department__in=departments)
    duties = Duty.objects.valid_at(at).filter(places, role__in=roles)
    return Officer.objects.filter(pk__in=duties.values("officer_id")).order_by("name", "pk")
