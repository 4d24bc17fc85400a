"""Composite-index engine: a replayable pipeline, uncertainty and sensitivity (COINr-class).

Build from plain DataFrames (one row per unit, one column per indicator; metadata in COINr's
iMeta columns iCode, Level, Parent, Direction, Weight, Type)::

    from observatory.index import build_index
    p = build_index(units_df, meta_df, {"steps": [
        {"treat": {"winmax": 5}},
        {"normalise": {"method": "minmax", "params": {"lower": 0, "upper": 100}}},
        {"aggregate": {"method": "amean"}}]})
    p.results()            # scores and ranks at every level
    p.replay({"aggregate": {"method": "gmean"}})   # same build, one choice changed
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .meta import IndexInputError, IndexMeta
from .pipeline import Pipeline, Step

__all__ = ["IndexInputError", "IndexMeta", "Pipeline", "Step", "build_index"]


def build_index(data: pd.DataFrame, meta: pd.DataFrame, spec: dict[str, Any] | None = None,
                unit_col: str = "uCode", time_col: str | None = "Time") -> Pipeline:
    """Validate ``data`` and ``meta``, run the spec's steps (default: min-max 0-100 and
    weighted arithmetic mean) and return the pipeline."""
    from .spec import apply_spec, parse_spec

    p = Pipeline(data, meta, unit_col=unit_col, time_col=time_col)
    return apply_spec(p, parse_spec(spec) if spec is not None else None)
