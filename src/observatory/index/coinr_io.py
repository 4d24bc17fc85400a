"""Read COINr-style inputs: iData (uCode, uName, group/denominator/indicator columns, optional
Time) and iMeta (iCode, iName, Level, Parent, Direction, Weight, Type, Target, Denominator)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .meta import IndexInputError, IndexMeta
from .pipeline import Pipeline


def read_imeta(path: str | Path) -> pd.DataFrame:
    """Read iMeta, keeping codes as strings."""
    try:
        return pd.read_csv(path, dtype={"iCode": str, "Parent": str, "Type": str})
    except FileNotFoundError as e:
        raise IndexInputError(str(path), "-", None, "file not found", "文件不存在") from e


def read_idata(path: str | Path) -> pd.DataFrame:
    """Read iData, keeping unit codes and names as strings."""
    try:
        return pd.read_csv(path, dtype={"uCode": str, "uName": str})
    except FileNotFoundError as e:
        raise IndexInputError(str(path), "-", None, "file not found", "文件不存在") from e


def pipeline_from_files(data_path: str | Path, meta_path: str | Path) -> Pipeline:
    """A new pipeline from a COINr iData / iMeta pair of CSV files."""
    meta = IndexMeta(read_imeta(meta_path), source=str(meta_path))
    return Pipeline(read_idata(data_path), meta, source=str(data_path))
