"""locate() takes whatever a client sends (query strings, JSON, form fields, Open311 posts) and
must answer with a Location or the domain error, never anything else."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridmgmt.errors import DomainError
from gridmgmt.services import locate

pytestmark = pytest.mark.django_db

# The world's two grids span 120.00-120.02 E, 30.00-30.01 N: draw near them as often as not.
near_lng = st.floats(min_value=119.99, max_value=120.03)
near_lat = st.floats(min_value=29.995, max_value=30.015)
anything = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.fractions(),
    st.complex_numbers(),
    st.text(max_size=30),
    st.from_regex(r"\s*[-+]?\d{1,400}(\.\d*)?([eE][-+]?\d{1,4})?\s*", fullmatch=True),
    st.binary(max_size=12),
    st.none(),
    st.booleans(),
    st.lists(st.floats(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
coordinate = st.one_of(near_lng, near_lat, anything)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lng=coordinate, lat=coordinate)
def test_locate_answers_a_location_or_the_domain_error(world, lng, lat):
    try:
        found = locate(lng, lat)
    except DomainError as exc:
        assert exc.code in {"invalid_coordinates", "outside_area"}
        return
    assert found.grid in (world.grid1, world.grid2)
    assert -180 <= found.lng <= 180 and -90 <= found.lat <= 90


@pytest.mark.parametrize("value", [10**400, -(10**309), "1e400", "nan", float("inf")])
def test_numbers_too_big_for_a_float_are_invalid_coordinates(world, value):
    with pytest.raises(DomainError) as caught:
        locate(value, 30.005)
    assert caught.value.code == "invalid_coordinates"
