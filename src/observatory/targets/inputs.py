"""Read and validate the SERIES.csv and TARGETS.csv spreadsheets for progress assessment.

Why: these files come from anywhere (districts, partner bureaus). A bad cell must give a
precise error (file, row, column, value, reason, in English and Chinese) before anything is
computed, and all problems are reported at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

SERIES_COLUMNS = ("series_id", "year", "value")
TARGET_COLUMNS = ("series_id", "direction", "base_year", "target_year", "target_value", "limit")
DIRECTIONS = {"higher": 1, "lower": -1}


@dataclass(frozen=True)
class Issue:
    """One problem in an input file. ``row`` is the spreadsheet row (header = row 1)."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    en: str
    zh: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        if self.value is not None:
            where += f", value {self.value!r}"
        return f"{where}: {self.en} / {self.zh}"


class InputError(ValueError):
    """Bad input files; ``issues`` lists every problem found."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues


def _read(path: Path, required: tuple[str, ...], issues: list[Issue]) -> pd.DataFrame | None:
    name = str(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        issues.append(Issue(name, None, None, None, "file not found", "找不到文件"))
        return None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        issues.append(Issue(name, None, None, None, f"not a readable CSV file ({exc})",
                            "不是可读取的 CSV 文件"))
        return None
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    for c in missing:
        issues.append(Issue(name, 1, c, None, "required column is missing", "缺少必需的列"))
    return None if missing else df


def _number(
    raw: str, file: str, row: int, column: str, issues: list[Issue], *, integer: bool = False,
    optional: bool = False,
) -> float | None:
    text = raw.strip()
    if text == "":
        if optional:
            return None
        issues.append(Issue(file, row, column, raw, "value is empty", "数值为空"))
        return None
    try:
        number = float(text)
    except ValueError:
        issues.append(Issue(file, row, column, raw, "not a number", "不是数字"))
        return None
    if math.isnan(number) or math.isinf(number):
        issues.append(Issue(file, row, column, raw, "not a finite number", "不是有限数值"))
        return None
    if integer and not number.is_integer():
        issues.append(Issue(file, row, column, raw, "not a whole year", "不是整数年份"))
        return None
    return number


def read_series(path: Path, issues: list[Issue]) -> pd.DataFrame | None:
    """``series_id, year, value``; one value per series and year."""
    df = _read(path, SERIES_COLUMNS, issues)
    if df is None:
        return None
    name, rows = str(path), []
    seen: dict[tuple[str, int], int] = {}
    for i, rec in enumerate(df.to_dict("records")):
        row = i + 2
        sid = rec["series_id"].strip()
        if not sid:
            issues.append(Issue(name, row, "series_id", rec["series_id"], "series_id is empty",
                                "序列编号为空"))
            continue
        year = _number(rec["year"], name, row, "year", issues, integer=True)
        value = _number(rec["value"], name, row, "value", issues)
        if year is None or value is None:
            continue
        key = (sid, int(year))
        if key in seen:
            issues.append(Issue(name, row, "year", rec["year"],
                                f"duplicate series/year (first at row {seen[key]})",
                                f"序列与年份重复（首次出现在第 {seen[key]} 行）"))
            continue
        seen[key] = row
        rows.append({"series_id": sid, "year": int(year), "value": value})
    return pd.DataFrame(rows, columns=list(SERIES_COLUMNS))


def read_targets(path: Path, known: set[str] | None, issues: list[Issue]) -> pd.DataFrame | None:
    """``series_id, direction (higher|lower), base_year, target_year, target_value, limit``."""
    df = _read(path, TARGET_COLUMNS, issues)
    if df is None:
        return None
    name, rows = str(path), []
    for i, rec in enumerate(df.to_dict("records")):
        row = i + 2
        sid = rec["series_id"].strip()
        bad = False
        if known is not None and sid not in known:
            issues.append(Issue(name, row, "series_id", rec["series_id"],
                                "series not found in the series file", "序列文件中没有该序列"))
            bad = True
        direction = DIRECTIONS.get(rec["direction"].strip().lower())
        if direction is None:
            issues.append(Issue(name, row, "direction", rec["direction"],
                                "direction must be 'higher' or 'lower'",
                                "方向必须为 higher（越高越好）或 lower（越低越好）"))
            bad = True
        n0 = len(issues)
        base = _number(rec["base_year"], name, row, "base_year", issues, integer=True,
                       optional=True)
        year = _number(rec["target_year"], name, row, "target_year", issues, integer=True,
                       optional=True)
        value = _number(rec["target_value"], name, row, "target_value", issues, optional=True)
        limit = _number(rec["limit"], name, row, "limit", issues, optional=True)
        if base is not None and year is not None and year <= base:
            issues.append(Issue(name, row, "target_year", rec["target_year"],
                                "target year must be after the base year",
                                "目标年份必须晚于基期年份"))
        if bad or len(issues) > n0:
            continue
        rows.append({"series_id": sid, "direction": direction,
                     "base_year": None if base is None else int(base),
                     "target_year": None if year is None else int(year),
                     "target_value": value, "limit": limit})
    return pd.DataFrame(rows, columns=list(TARGET_COLUMNS))


def load_inputs(series_path: Path, targets_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both files validated; raises ``InputError`` listing every problem."""
    issues: list[Issue] = []
    series = read_series(Path(series_path), issues)
    known = set(series["series_id"]) if series is not None else None
    targets = read_targets(Path(targets_path), known, issues)
    if issues or series is None or targets is None:
        raise InputError(issues)
    return series, targets
