"""Plain values from engine results: numbers without NaN, dates as ISO text, DataFrame rows as
JSON-ready records."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pandas as pd

#: A cell of a table whose columns an engine decides (indicator rows, index results).
Cell = str | int | float | bool | None
Row = dict[str, Cell]


def as_number(value: Any) -> float | None:
    """A finite float, or None for missing, NaN and infinite values."""
    if value is None:
        return None
    f = float(value)
    return None if math.isnan(f) or math.isinf(f) else f


def as_int(value: Any) -> int | None:
    return None if value is None else int(value)


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def json_records(df: pd.DataFrame) -> list[Row]:
    """The rows of ``df`` with plain Python values (NaN -> None, dates -> ISO text)."""
    return [{str(k): json_value(v) for k, v in rec.items()}
            for rec in df.to_dict(orient="records")]


def json_value(v: Any) -> Cell:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item"):
        v = v.item()
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            return None
    return v
