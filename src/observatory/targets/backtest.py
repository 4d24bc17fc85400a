"""Back-test of forecast intervals: hide the last years of each series, forecast, count hits.

Why: a nominal 80 % interval is only honest if about 80 % of held-back outcomes fall in it.
Used by ``bench/progress_backtest.py`` and the coverage test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from observatory.targets import forecast as fc


@dataclass(frozen=True)
class Coverage:
    """Share of held-back values inside the p10-p90 interval, overall and by horizon."""

    coverage: float
    n_series: int
    n_values: int
    by_horizon: dict[int, float]


def backtest(
    series: Mapping[str, pd.Series],
    *,
    holdout: int = 5,
    min_train: int = 5,
    calibrated: bool = True,
    n_paths: int = 2000,
    seed: int = 0,
    level: float = 0.8,
) -> Coverage:
    """Coverage of the central ``level`` intervals on the last ``holdout`` points of each series.

    Series with fewer than ``holdout + min_train`` points are skipped. Seeded: reproducible.
    """
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    hits: list[tuple[int, bool]] = []
    used = 0
    for i, key in enumerate(sorted(series)):
        s = pd.Series(series[key], dtype="float64").dropna()
        s.index = s.index.astype(int)
        s = s.sort_index()
        if len(s) < holdout + min_train:
            continue
        train, test = s.iloc[:-holdout], s.iloc[-holdout:]
        model = fc.fit(train)
        horizon = int(test.index[-1]) - model.last_year
        paths = fc.simulate(model, horizon, n_paths=n_paths, seed=seed + i, calibrated=calibrated)
        lo, hi = np.quantile(paths, [lo_q, hi_q], axis=0)
        used += 1
        for year, value in test.items():
            j = int(year) - model.last_year - 1
            hits.append((min(j + 1, holdout), bool(lo[j] <= value <= hi[j])))
    if not hits:
        raise ValueError("no series long enough to back-test")
    frame = pd.DataFrame(hits, columns=["h", "hit"])
    by_h = {int(h): float(v) for h, v in frame.groupby("h")["hit"].mean().items()}
    return Coverage(float(frame["hit"].mean()), used, len(frame), by_h)


def distinct_series(series: Mapping[str, pd.Series]) -> dict[str, pd.Series]:
    """Drop exact duplicates (the same data configured under several ids)."""
    seen: set[tuple] = set()
    out: dict[str, pd.Series] = {}
    for key in sorted(series):
        s = series[key]
        sig = tuple((int(y), round(float(v), 9)) for y, v in s.dropna().sort_index().items())
        if sig in seen:
            continue
        seen.add(sig)
        out[key] = s
    return out


def load_validation_series(root: str) -> dict[str, pd.Series]:
    """Series of the shared validation sets (Canada GIF cases, Germany DNS), distinct only."""
    from pathlib import Path

    base = Path(root)
    out: dict[str, pd.Series] = {}
    ca = pd.read_csv(base / "canada_gif" / "series.csv")
    for key, g in ca.groupby("case_id"):
        out[f"CA:{key}"] = g.set_index("year")["value"]
    de = pd.read_csv(base / "germany_weather" / "series.csv")
    for key, g in de.groupby("series_id"):
        out[f"DE:{key}"] = g.groupby("year")["value"].last()
    return distinct_series(out)
