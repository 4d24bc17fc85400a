"""The SQLAlchemy metadata read as column lists, kinds and lengths.

The models (``registry.models``) say each column's name, type, length and nullability once.
Import/export specs (``registry.entities``) and the example generator's insert lists are
derived from them here instead of being typed again, so the schema cannot drift between them.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, Integer, Numeric, String

from observatory.registry import models as m

PROVENANCE = frozenset(inspect.get_annotations(m.Sourced))
"""The provenance columns every sourced record has (``source_id``, ``source_ref``)."""


@cache
def model_of(table_name: str) -> type[m.Base]:
    """The mapped class of a table."""
    for mapper in m.Base.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table_name:
            return mapper.class_
    raise KeyError(table_name)


def ordered_columns(model: type[m.Base]) -> list[Column[Any]]:
    """The model's columns in file order: shared-base columns, the model's own, provenance last.

    SQLAlchemy lists a model's own columns before those of a shared base such as ``_Listing``;
    the file format (and the generator) put the shared ones first, as a reader expects.
    """
    own = set(inspect.get_annotations(model))

    def rank(column: Column[Any]) -> int:
        if column.key in PROVENANCE:
            return 2
        return 1 if column.key in own else 0

    return sorted(m.Base.metadata.tables[model.__tablename__].columns, key=rank)


def table_columns(table_name: str) -> list[str]:
    """Every column of a table, in file order: the generator's insert list."""
    return [column.name for column in ordered_columns(model_of(table_name))]


def insert_order(table_names: Iterable[str]) -> list[str]:
    """The given tables sorted so that every table comes after those its foreign keys name."""
    wanted = set(table_names)
    return [table.name for table in m.Base.metadata.sorted_tables if table.name in wanted]


_KINDS: tuple[tuple[type, str], ...] = (
    (Boolean, "bool"), (Integer, "int"), (Numeric, "decimal"), (Date, "date"), (JSON, "json"),
    (String, "str"),
)


def column_kind(column: Column[Any]) -> str:
    """How a file cell converts for this column: str, int, decimal, date, bool or json."""
    for sql_type, kind in _KINDS:
        if isinstance(column.type, sql_type):
            return kind
    raise TypeError(f"no file kind for column {column} of type {column.type}")


def column_digits(column: Column[Any]) -> int | None:
    """Digits a Numeric value may have before the decimal point (its precision less its
    scale); None for other columns (integers are bounded by ``INT32_MAX`` in the importer)."""
    kind = column.type
    if isinstance(kind, Numeric) and kind.precision is not None:
        return int(kind.precision) - int(kind.scale or 0)
    return None


def column_length(column: Column[Any]) -> int | None:
    """The column's maximum length in characters, or None (Text, numbers, dates)."""
    return column.type.length if isinstance(column.type, String) else None
