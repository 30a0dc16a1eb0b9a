"""Timestamps read at the speed psycopg's compiled loader reads them.

Django's PostgreSQL backend (psycopg 3) registers its own ``timestamptz`` loader on every
connection, to stamp each value with the connection's time zone. It subclasses psycopg's
pure-Python loader, because the compiled one (psycopg-binary) cannot be subclassed, so every
timestamp the ORM reads is parsed in Python: 60,000 of them took 257 ms to fetch at a million
tasks against 129 ms through the compiled loader (Django ticket #36960, psycopg issue #1273).
A dashboard's hotspots read 5,467 report times, the patrol coverage 3,200 visit times.

``fast_timestamps`` (connected to ``connection_created`` in ``GridmgmtConfig.ready``) replaces
that loader on each new connection with one that parses through the compiled loader and then
stamps the same time zone the same way (``replace``, as Django's does): the same values with the
same ``tzinfo``. Without a compiled loader, or when Django's loader is not the one registered,
it leaves the connection as it is."""

from __future__ import annotations

from typing import Any

import psycopg
from django.db.backends.postgresql.psycopg_any import BaseTzLoader  # type: ignore[import-untyped]
from psycopg.pq import Format
from psycopg.types.datetime import TimestamptzLoader


class CompiledTzLoader(BaseTzLoader):
    """Django's loader (``timezone``, ``replace``) over psycopg's compiled parser; subclassed
    per connection with its time zone and the compiled class, never registered itself."""

    parser: Any = None

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self._parse = self.parser(oid, context).load

    def load(self, data: Any) -> Any:
        return self._parse(data).replace(tzinfo=self.timezone)


def fast_timestamps(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "postgresql":
        return
    oid = psycopg.postgres.types["timestamptz"].oid
    adapters = connection.connection.adapters
    django_loader = adapters.get_loader(oid, Format.TEXT)
    # The global map's loader is the compiled one when psycopg has it (register_loader swaps
    # psycopg's own classes for their compiled versions).
    compiled = psycopg.adapters.get_loader(oid, Format.TEXT)
    if (compiled is None or compiled is TimestamptzLoader or django_loader is None
            or not issubclass(django_loader, BaseTzLoader)
            or issubclass(django_loader, CompiledTzLoader)):
        return

    class ConnectionTzLoader(CompiledTzLoader):
        timezone = django_loader.timezone
        parser = compiled

    adapters.register_loader(oid, ConnectionTzLoader)
