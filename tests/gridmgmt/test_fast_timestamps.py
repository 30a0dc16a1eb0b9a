"""gridmgmt.db.fast_timestamps: on PostgreSQL every connection reads timestamptz through
psycopg's compiled parser, with the values and time zones Django's own loader gives."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
import pytest
from django.db import DataError, connection
from django.db.backends.postgresql.psycopg_any import register_tzloader  # type: ignore[import-untyped]
from django.utils import timezone
from psycopg.pq import Format

from gridmgmt.db import CompiledTzLoader

pytestmark = pytest.mark.django_db

LITERALS = [
    "2026-12-07 11:33:31.648821+00", "2026-12-07 19:33:31+08", "2026-03-29 01:30:00-07:00",
    "2000-02-29 23:59:59.999999+00", "0001-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00",
    "1970-01-01 00:00:00+05:30", "2026-12-07 00:00:00.000001+14", "1901-12-13 20:45:52+00",
]


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("psycopg's loaders: PostgreSQL only (CI runs it)")
    connection.ensure_connection()


def _oid() -> int:
    return psycopg.postgres.types["timestamptz"].oid


def test_each_connection_reads_timestamps_through_the_compiled_parser(postgres):
    loader = connection.connection.adapters.get_loader(_oid(), Format.TEXT)
    assert issubclass(loader, CompiledTzLoader)
    compiled = psycopg.adapters.get_loader(_oid(), Format.TEXT)
    assert loader.parser is compiled
    assert compiled.__module__ != "psycopg.types.datetime"  # psycopg-binary's, not Python's
    assert loader.timezone == connection.timezone


def _read(cursor) -> list:
    cursor.execute(
        "SELECT v::timestamptz, NULL::timestamptz FROM unnest(%s::text[]) v", [LITERALS])
    return cursor.fetchall()


def test_the_values_and_time_zones_are_django_s(postgres):
    with connection.cursor() as cursor:
        ours = _read(cursor)
    with connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor.cursor)  # Django's own loader
        theirs = _read(cursor)
    assert len(ours) == len(LITERALS)
    for mine, django_s in zip(ours, theirs, strict=True):
        assert mine == django_s
        value, other = mine[0], django_s[0]
        assert isinstance(value, datetime)
        assert value.tzinfo is other.tzinfo
        assert value.utcoffset() == timedelta(0)
        assert mine[1] is None


def test_a_time_python_cannot_hold_is_refused_alike(postgres):
    errors = []
    for django_s in (False, True):
        with connection.cursor() as cursor:
            if django_s:
                register_tzloader(connection.timezone, cursor.cursor)
            cursor.execute("SELECT 'infinity'::timestamptz")
            with pytest.raises(DataError) as caught:
                cursor.fetchone()
            errors.append(type(caught.value))
    assert errors[0] is errors[1]


def test_the_orm_reads_what_it_wrote(postgres):
    when = datetime(2026, 12, 7, 19, 33, 31, 648821, tzinfo=timezone.get_fixed_timezone(480))
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [when])
        (read,) = cursor.fetchone()
    assert read == when and read.tzinfo is connection.timezone
