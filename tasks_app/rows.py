"""Hand-written reads for a report's hot path, with the ORM's conversions.

Compiling a queryset costs a report more than the database does to answer it (about a
millisecond each for the repeat lookup and the officer on duty, against a few tenths for the
round trip), so the reads every report makes are written once as SQL. Their parameters are
prepared by the model fields and their rows converted by the backend, as the ORM would
(``param``, ``instances``), so they behave alike on PostgreSQL and SQLite; each has a test
comparing it with the queryset it stands for."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)

_CONVERTERS: dict[tuple[str, type[Model], tuple[str, ...]], list] = {}


def _field(model: type[Model], name: str) -> Field:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)  # a concrete field, by name or attname
    return field


def param(model: type[Model], name: str, value: Any) -> Any:
    """``value`` for a comparison with ``model``'s field ``name``, as a filter passes it."""
    return _field(model, name).get_db_prep_value(value, connection, prepared=False)


def columns(model: type[Model], alias: str) -> str:
    """Every concrete column of ``model`` from the table aliased ``alias``, in field order."""
    q = connection.ops.quote_name
    return ", ".join(f"{alias}.{q(f.column)}" for f in model._meta.concrete_fields)


def _converters(model: type[Model], names: tuple[str, ...]) -> list:
    key = (connection.vendor, model, names)
    found = _CONVERTERS.get(key)
    if found is None:
        found = []
        for i, name in enumerate(names):
            col = _field(model, name).get_col(model._meta.db_table)
            funcs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if funcs:
                found.append((i, col, funcs))
        _CONVERTERS[key] = found
    return found


def convert(model: type[Model], names: Sequence[str], row: Sequence[Any]) -> list[Any]:
    """A row of ``model``'s fields ``names`` as the ORM returns them (on PostgreSQL as read)."""
    values = list(row)
    for i, col, funcs in _converters(model, tuple(names)):
        for func in funcs:
            values[i] = func(values[i], col, connection)
    return values


def instances(model: type[M], rows: Iterable[Sequence[Any]]) -> list[M]:
    """Rows of every concrete column of ``model`` (``columns``) as instances, as a queryset
    builds them."""
    names = tuple(f.attname for f in model._meta.concrete_fields)
    return [model.from_db(connection.alias, names, convert(model, names, row)) for row in rows]
