"""Forecast method: probability that a target is met by its year, and a fan of outcomes.

Why: a status alone hides how sure we are. Paths are simulated from a random walk with drift on
the log level (on the level when a value is not positive). Official series are short (often
8-15 points), so plugging the estimated drift and volatility in gives intervals far too narrow;
the calibrated model draws the volatility and drift from their posterior under a flat prior
(scaled inverse chi-square for sigma^2, normal for the drift given sigma), which widens the
predictive distribution by exactly the small-sample amount (Student-t, variance h*s^2*(1+h/n)).
The back-test (``bench/progress_backtest.py``) checks the coverage of the 80 % intervals.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from observatory.targets.forms import Resolved

MIN_POINTS = 3
#: Small-sample inflation on top of the posterior: the drift's posterior spread and the yearly
#: volatility are widened because official series change trend (structural breaks, revisions).
#: Chosen on the shared back-test series; checked by leave-one-source-out and on held-out
#: Chinese provincial series (docs/methodology/progress.md, "Back-test").
DRIFT_INFLATION = 1.5
SIGMA_INFLATION = 1.1
DEFAULT_PATHS = 4000
QUANTILES = (0.10, 0.50, 0.90)
_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True)
class Fit:
    """Estimated random walk: increments per year on the log (or level) scale."""

    log: bool
    drift: float
    sigma: float
    n: int
    last_year: int
    last_value: float


def fit(series: pd.Series) -> Fit:
    """Fit a random walk with drift (annualised increments; gaps spread evenly)."""
    s = pd.Series(series, dtype="float64").dropna()
    s.index = s.index.astype(int)
    s = s.sort_index()
    if len(s) < MIN_POINTS:
        raise ValueError(f"at least {MIN_POINTS} points are needed, got {len(s)}")
    log = bool((s > 0).all())
    x = np.log(s.to_numpy()) if log else s.to_numpy()
    gaps = np.diff(s.index.to_numpy()).astype(float)
    steps = np.diff(x) / gaps
    sigma = float(np.std(steps, ddof=1)) if len(steps) > 1 else 0.0
    return Fit(log, float(steps.mean()), sigma, len(steps), int(s.index[-1]), float(s.iloc[-1]))


def simulate(
    model: Fit,
    horizon: int,
    *,
    n_paths: int = DEFAULT_PATHS,
    seed: int = 0,
    calibrated: bool = True,
    sigma_inflation: float = SIGMA_INFLATION,
    drift_inflation: float = DRIFT_INFLATION,
) -> np.ndarray:
    """Simulated values (``n_paths`` x ``horizon``) for the years after the last observation.

    ``calibrated=False`` is the naive baseline: estimates plugged in, no parameter uncertainty.
    The inflation factors are arguments only so that the back-test can cross-validate them.
    """
    rng = np.random.default_rng(seed)
    if horizon < 1:
        return np.empty((n_paths, 0))
    n = model.n
    if calibrated and n >= 2:
        df = n - 1
        sigma2 = (sigma_inflation * model.sigma) ** 2 * df / rng.chisquare(df, size=n_paths)
        sigma = np.sqrt(sigma2)
        spread = drift_inflation * sigma / np.sqrt(n)
        drift = model.drift + spread * rng.standard_normal(n_paths)
    else:
        sigma = np.full(n_paths, model.sigma)
        drift = np.full(n_paths, model.drift)
    shocks = rng.standard_normal((n_paths, horizon)) * sigma[:, None] + drift[:, None]
    start = np.log(model.last_value) if model.log else model.last_value
    paths = start + np.cumsum(shocks, axis=1)
    return np.exp(paths) if model.log else paths


@dataclass(frozen=True)
class ForecastResult:
    """Probability of meeting the target and the fan (p10/p50/p90 per future year)."""

    probability: float | None
    fan: pd.DataFrame
    status: str
    score: float | None
    current_year: int
    current_value: float
    reason: str = ""


def fan_chart(paths: np.ndarray, first_year: int) -> pd.DataFrame:
    """Quantiles p10/p50/p90 per simulated year."""
    years = np.arange(first_year, first_year + paths.shape[1])
    q = np.quantile(paths, QUANTILES, axis=0) if paths.shape[1] else np.empty((3, 0))
    return pd.DataFrame({"year": years, "p10": q[0], "p50": q[1], "p90": q[2]})


def _status(probability: float, met_now: bool, median_moves_right: bool) -> str:
    if met_now and probability >= 0.5:
        return "target_achieved"
    if probability >= 0.8:
        return "substantial_progress"
    if probability >= 0.5:
        return "moderate_progress"
    return "limited_progress" if median_moves_right else "deterioration"


def assess_forecast(
    series: pd.Series,
    target: Resolved,
    *,
    n_paths: int = DEFAULT_PATHS,
    seed: int = 0,
    calibrated: bool = True,
) -> ForecastResult:
    """Simulate to the target year and count the paths that meet the target.

    Level: the value in the target year is at or past the target. Direction only: the value in
    the target year is better than the latest one. Every year: every simulated year up to the
    target year keeps the threshold (and the observed years in the window did). Cumulative: the
    observed yearly values in the window plus the simulated ones reach the total.
    """
    s = pd.Series(series, dtype="float64").dropna()
    s.index = s.index.astype(int)
    s = s.sort_index()
    model = fit(s)
    d = target.direction
    end = target.target_year or model.last_year
    horizon = max(end - model.last_year, 0)
    paths = simulate(model, horizon, n_paths=n_paths, seed=seed, calibrated=calibrated)
    fan = fan_chart(paths, model.last_year + 1)
    last = model.last_value
    final = paths[:, -1] if horizon else np.full(n_paths, last)
    if target.kind == "level" and target.target_value is not None:
        goal = target.target_value
        ok = d * (final - goal) >= 0
        met_now = d * (last - goal) >= 0
        moves_right = d * (np.median(final) - last) > 0 or met_now
    elif target.kind == "level":
        ok = d * (final - last) > 0
        met_now, moves_right = False, bool(d * (np.median(final) - last) > 0)
    elif target.kind == "every_year":
        op = _OPS[target.comparator or (">=" if d > 0 else "<=")]
        goal = target.goal()
        start = target.from_year if target.from_year is not None else model.last_year
        observed = s[(s.index >= start) & (s.index <= end)]
        past_ok = bool(all(op(v, goal) for v in observed))
        ok = op(paths, goal).all(axis=1) & past_ok if horizon else np.full(n_paths, past_ok)
        met_now = past_ok and op(last, goal)
        moves_right = bool(d * model.drift >= 0)
    elif target.kind == "cumulative":
        op = _OPS[target.comparator or ">="]
        goal = target.goal()
        start = target.from_year if target.from_year is not None else model.last_year + 1
        done = float(s[(s.index >= start) & (s.index <= end)].sum())
        first_sim = max(start, model.last_year + 1)
        cols = [y - model.last_year - 1 for y in range(first_sim, end + 1)]
        total = done + (paths[:, cols].sum(axis=1) if cols else 0.0)
        ok = op(total, goal) if cols else np.full(n_paths, op(done, goal))
        met_now = op(done, goal)
        moves_right = True
    else:  # pragma: no cover - Resolved.kind is closed
        raise ValueError(f"unknown target kind {target.kind!r}")
    probability = float(np.mean(ok))
    return ForecastResult(
        probability=probability,
        fan=fan,
        status=_status(probability, bool(met_now), bool(moves_right)),
        score=10.0 * probability - 5.0,
        current_year=model.last_year,
        current_value=last,
    )
