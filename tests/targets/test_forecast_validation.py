"""Honest validation of the forecast intervals: held-out data and cross-validated factors.

The inflation factors (k_sigma, k_d) were tuned on the Canada/Germany series, so the coverage
in ``test_forecast_pace.py`` is in-sample. These tests score them where they were not tuned.

Tolerance used throughout: a calibrated 80 % interval holds each held-back value with
probability 0.8. The five values of one series share one simulated path and one fitted drift,
so they are far from independent; we count each back-tested *series* as one Bernoulli draw
(n = number of series, not of values) and allow three binomial standard errors,
3 * sqrt(0.8 * 0.2 / n). Counting values instead would give a band about sqrt(5) times
narrower than the data can support. The band follows from 80 % and n alone, not from the
observed coverage.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from observatory.targets import backtest as bt
from observatory.targets import forecast as fc
from tests.reference_data import reference_path

NOMINAL = 0.8


def band(n_series: int) -> float:
    """Half-width of the tolerance: three binomial standard errors with one draw per series."""
    return 3 * math.sqrt(NOMINAL * (1 - NOMINAL) / n_series)


def test_china_held_out_coverage() -> None:
    """China provincial statistics, never used for tuning: every province x indicator series
    with at least ten points (R&D, technology market, patents; the 2018-2024 high-tech
    enterprise counts are too short), all of them (no sampling: about 570 series, a few
    seconds). With about 570 series the band is 80 % +- 5.0 points; the naive random walk with
    drift must cover less than the calibrated model.
    """
    series = bt.load_china_series(str(reference_path("china_innovation_stats")))
    calibrated = bt.backtest(series, group=bt.china_family)
    naive = bt.backtest(series, calibrated=False)
    assert calibrated.n_series >= 500  # 32 regions x 18 long indicators, less the gappy ones
    assert calibrated.n_values == 5 * calibrated.n_series
    assert abs(calibrated.coverage - NOMINAL) <= band(calibrated.n_series)
    assert naive.coverage < calibrated.coverage
    assert "hte" not in calibrated.by_group  # 7 points: skipped, not back-tested
    assert sum(n for _, n in calibrated.by_group.values()) == calibrated.n_values


def test_leave_one_source_out_on_the_tuning_series() -> None:
    """Factors chosen on Canada are scored on Germany and vice versa. Each out-of-fold
    coverage must lie within its own band (n = that source's series), and so must the pooled
    out-of-fold coverage (n = all series). About 5 s (2 folds x 20 grid pairs).
    """
    series = bt.load_validation_series(str(reference_path("progress_validation")))
    folds = bt.leave_one_source_out(series, bt.source_of)
    assert [f.held_out for f in folds] == ["CA", "DE"]
    hits = n_values = n_series = 0
    for f in folds:
        assert f.choice.sigma_inflation in bt.SIGMA_GRID
        assert f.choice.drift_inflation in bt.DRIFT_GRID
        assert abs(f.coverage.coverage - NOMINAL) <= band(f.coverage.n_series)
        hits += round(f.coverage.coverage * f.coverage.n_values)
        n_values += f.coverage.n_values
        n_series += f.coverage.n_series
    assert abs(hits / n_values - NOMINAL) <= band(n_series)


def _random_walks(n: int, seed: int) -> dict[str, pd.Series]:
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(n):
        steps = rng.normal(rng.normal(0.05, 0.05), rng.uniform(0.02, 0.2), 15)
        out[f"S{i:03d}"] = pd.Series(np.exp(np.cumsum(steps)), index=range(2000, 2015))
    return out


def test_criterion_picks_no_inflation_on_true_random_walks() -> None:
    """On series that really are random walks with drift the flat-prior predictive is exact
    (the h-step error over s*sqrt(h + h^2/n) is Student-t), so the posterior alone covers
    80 % within the band, the shipped factors over-cover there, and the tuning criterion, offered
    no inflation or a clear one (k_sigma 1.3, k_d 2.0; each adds several points of coverage,
    more than Monte Carlo noise), must pick none. 200 simulated series, 1,000 paths: about 2 s.
    """
    series = _random_walks(200, seed=0)
    plain = bt.backtest(series, n_paths=1000, sigma_inflation=1.0, drift_inflation=1.0)
    assert abs(plain.coverage - NOMINAL) <= band(plain.n_series)
    shipped = bt.backtest(series, n_paths=1000)
    assert shipped.coverage > plain.coverage
    choice = bt.choose_inflation(series, sigma_grid=(1.0, 1.3), drift_grid=(1.0, 2.0),
                                 n_paths=1000)
    assert (choice.sigma_inflation, choice.drift_inflation) == (1.0, 1.0)
    assert choice.coverage == plain.coverage
    assert (fc.SIGMA_INFLATION, fc.DRIFT_INFLATION) != (1.0, 1.0)  # the comparison is not void


def test_group_coverages_add_up_to_the_whole() -> None:
    series = _random_walks(30, seed=1)
    whole = bt.backtest(series, n_paths=500, group=lambda k: "even" if int(k[1:]) % 2 else "odd")
    pooled = sum(c * n for c, n in whole.by_group.values()) / whole.n_values
    assert set(whole.by_group) == {"even", "odd"}
    assert math.isclose(pooled, whole.coverage)
    assert whole.by_group["odd"][1] == 5 * 15
