"""Fund metrics from files: a folder of ``<table>.csv`` or an XLSX workbook of the same sheets.

Why files beside the registry: a fund manager checks a programme's figures from the tables it
already keeps, before (or without) importing them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from observatory.funds.metrics import FundDataError, flags, fund_metrics

TABLES = ("funds", "commitments", "cashflows", "valuations", "investments", "index")
REQUIRED = ("commitments", "cashflows")
EMPTY = {"valuations": ["fund", "date", "nav"],
         "investments": ["fund", "investee", "date", "amount", "in_region"]}


def read_tables(source: Path) -> dict[str, pd.DataFrame | None]:
    """Read ``<table>.csv`` files from a folder, or sheets of the same names from an XLSX."""
    out: dict[str, pd.DataFrame | None] = {}
    if source.is_dir():
        for t in TABLES:
            f = source / f"{t}.csv"
            out[t] = pd.read_csv(f) if f.exists() else None
    elif source.suffix.lower() == ".xlsx":
        sheets = pd.read_excel(source, sheet_name=None)
        out = {t: sheets.get(t) for t in TABLES}
    else:
        raise FundDataError(str(source), None, "-", None, "expected a folder of CSV files or "
                            "an .xlsx workbook", "应为CSV文件夹或.xlsx工作簿")
    for t in REQUIRED:
        if out[t] is None:
            raise FundDataError(f"{source}/{t}", None, "-", None, "table missing", "缺少该表")
    for t, cols in EMPTY.items():
        if out[t] is None:
            out[t] = pd.DataFrame(columns=cols)
    commitments = out["commitments"]
    if out["funds"] is None and commitments is not None:
        out["funds"] = pd.DataFrame({"fund": sorted(commitments["fund"].unique())})
    return out


def file_metrics(source: Path, as_of: date) -> pd.DataFrame:
    """Each fund's metrics and flags on ``as_of``, from the tables in ``source``."""
    t = read_tables(source)
    metrics = fund_metrics(t["funds"], t["commitments"], t["cashflows"], t["valuations"],
                           t["investments"], as_of, t["index"])
    flagged = flags(t["funds"], t["cashflows"], t["investments"], t["commitments"], as_of)
    return metrics.merge(flagged, on="fund", how="left", suffixes=("", "_flag"))
