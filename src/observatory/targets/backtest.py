"""Back-test of forecast intervals: hide the last years of each series, forecast, count hits.

Why: a nominal 80 % interval is only honest if about 80 % of held-back outcomes fall in it.
Used by ``bench/progress_backtest.py`` and the coverage tests. Besides the in-sample back-test on
the series the inflation factors were tuned on, it holds the two honest checks: factors chosen on
one source and scored on the other (``leave_one_source_out``), and a back-test on Chinese
provincial statistics that played no part in the tuning (``load_china_series``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import numpy as np
import pandas as pd

from observatory.targets import forecast as fc

if TYPE_CHECKING:
    from typing_extensions import Unpack


@dataclass(frozen=True)
class Coverage:
    """Share of held-back values inside the p10-p90 interval, overall, by horizon and by group.

    ``by_group`` maps a group (see ``backtest(group=...)``) to (coverage, held-back values).
    """

    coverage: float
    n_series: int
    n_values: int
    by_horizon: dict[int, float]
    by_group: dict[str, tuple[float, int]] = field(default_factory=dict)


class BacktestOptions(TypedDict, total=False):
    """The ``backtest`` settings that ``choose_inflation`` and ``leave_one_source_out`` pass on."""

    holdout: int
    min_train: int
    calibrated: bool
    n_paths: int
    seed: int
    group: Callable[[str], str] | None


def backtest(
    series: Mapping[str, pd.Series],
    *,
    holdout: int = 5,
    min_train: int = 5,
    calibrated: bool = True,
    n_paths: int = 2000,
    seed: int = 0,
    level: float = 0.8,
    sigma_inflation: float = fc.SIGMA_INFLATION,
    drift_inflation: float = fc.DRIFT_INFLATION,
    group: Callable[[str], str] | None = None,
) -> Coverage:
    """Coverage of the central ``level`` intervals on the last ``holdout`` points of each series.

    Series with fewer than ``holdout + min_train`` points are skipped. Seeded: reproducible (the
    seed of a series is ``seed`` + its rank among the sorted keys, so a group's figure in
    ``by_group`` comes from the same draws as the overall one). ``group`` maps a key to its group.
    """
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    hits: list[tuple[int, bool, str]] = []
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
        paths = fc.simulate(model, horizon, n_paths=n_paths, seed=seed + i, calibrated=calibrated,
                            sigma_inflation=sigma_inflation, drift_inflation=drift_inflation)
        lo, hi = np.quantile(paths, [lo_q, hi_q], axis=0)
        used += 1
        g = group(key) if group is not None else ""
        for year, value in test.items():
            j = int(year) - model.last_year - 1
            hits.append((min(j + 1, holdout), bool(lo[j] <= value <= hi[j]), g))
    if not hits:
        raise ValueError("no series long enough to back-test")
    frame = pd.DataFrame(hits, columns=["h", "hit", "group"])
    by_h = {int(h): float(v) for h, v in frame.groupby("h")["hit"].mean().items()}
    by_g = ({str(k): (float(v["mean"]), int(v["size"]))
             for k, v in frame.groupby("group")["hit"].agg(["mean", "size"]).iterrows()}
            if group is not None else {})
    return Coverage(float(frame["hit"].mean()), used, len(frame), by_h, by_g)


#: Grid of (k_sigma, k_d) for the cross-validation; it contains the shipped pair (1.1, 1.5).
SIGMA_GRID = (1.0, 1.1, 1.2, 1.3)
DRIFT_GRID = (1.0, 1.25, 1.5, 1.75, 2.0)


@dataclass(frozen=True)
class Choice:
    """Inflation factors picked on a training set, with the coverage they reach there."""

    sigma_inflation: float
    drift_inflation: float
    coverage: float


def choose_inflation(
    series: Mapping[str, pd.Series],
    *,
    sigma_grid: Sequence[float] = SIGMA_GRID,
    drift_grid: Sequence[float] = DRIFT_GRID,
    level: float = 0.8,
    **kwargs: Unpack[BacktestOptions],
) -> Choice:
    """The grid pair whose back-test coverage is closest to the nominal ``level``.

    This is the tuning criterion (hit the nominal coverage, not maximise it: wider is not
    better). Ties go to the first pair in grid order, i.e. the smaller factors.
    """
    best: Choice | None = None
    for ks in sigma_grid:
        for kd in drift_grid:
            cov = backtest(series, level=level, sigma_inflation=ks, drift_inflation=kd,
                           **kwargs).coverage
            if best is None or abs(cov - level) < abs(best.coverage - level) - 1e-12:
                best = Choice(ks, kd, cov)
    if best is None:
        raise ValueError("empty grid")
    return best


@dataclass(frozen=True)
class Fold:
    """One leave-one-source-out fold: factors tuned without ``held_out``, scored on it."""

    held_out: str
    choice: Choice
    coverage: Coverage
    shipped: Coverage


def leave_one_source_out(
    series: Mapping[str, pd.Series],
    source: Callable[[str], str],
    **kwargs: Unpack[BacktestOptions],
) -> list[Fold]:
    """For each source: choose the factors on the other sources, back-test on this one.

    ``shipped`` is the same source scored with the shipped factors (tuned on everything, so
    in-sample), for comparison. ``kwargs`` go to ``backtest`` (``n_paths``, ``seed``...).
    """
    sources = sorted({source(k) for k in series})
    if len(sources) < 2:
        raise ValueError("leave-one-source-out needs at least two sources")
    folds = []
    for held in sources:
        train = {k: v for k, v in series.items() if source(k) != held}
        test = {k: v for k, v in series.items() if source(k) == held}
        choice = choose_inflation(train, **kwargs)
        cov = backtest(test, sigma_inflation=choice.sigma_inflation,
                       drift_inflation=choice.drift_inflation, **kwargs)
        folds.append(Fold(held, choice, cov, backtest(test, **kwargs)))
    return folds


def source_of(key: str) -> str:
    """The source prefix of a validation key (``CA``, ``DE`` or ``CN``)."""
    return key.split(":", 1)[0]


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


#: Indicator families of the China set, by indicator-code prefix (README of the shared data).
CHINA_FAMILIES = (
    ("rd_", "R&D (expenditure, intensity)"),
    ("techmarket_", "technology market (contracts, turnover)"),
    ("patent_applications_", "patent applications"),
    ("patent_grants_", "patent grants"),
    ("patent_valid_", "valid patents"),
    ("hte_", "high-tech enterprise recognitions"),
)


def china_family(key: str) -> str:
    """Family of a ``CN:<indicator_code>:<province>`` key (the indicator-code prefix)."""
    code = key.split(":")[1]
    for prefix, _ in CHINA_FAMILIES:
        if code.startswith(prefix):
            return prefix.rstrip("_")
    raise ValueError(f"unknown China indicator family: {code!r} / 未知的指标类别: {code!r}")


def load_china_series(root: str) -> dict[str, pd.Series]:
    """Province x indicator series of the shared China set, keyed ``CN:<code>:<province_en>``.

    Held out from the tuning of the inflation factors. Every indicator is included (the national
    total too: it is published, not summed); ``backtest`` skips the ones too short (the
    high-tech enterprise counts span only 2018-2024). Missing cells stay missing (no zero fill).
    """
    path = Path(root) / "province_year.csv"
    frame = pd.read_csv(path)
    needed = {"province_en", "year", "indicator_code", "value"}
    missing = needed - set(frame.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)} / 缺少列 {sorted(missing)}")
    dup = frame.duplicated(["province_en", "indicator_code", "year"])
    if dup.any():
        row = frame[dup].iloc[0]
        raise ValueError(
            f"{path}: row {int(frame[dup].index[0]) + 2}: duplicate year {row['year']} for "
            f"{row['indicator_code']} / {row['province_en']} / 重复的年份")
    out: dict[str, pd.Series] = {}
    for (code, prov), g in frame.groupby(["indicator_code", "province_en"]):
        out[f"CN:{code}:{prov}"] = g.set_index("year")["value"]
    return distinct_series(out)
