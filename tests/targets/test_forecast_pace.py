"""Forecast probabilities and fans, back-tested coverage, and the required pace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory.targets import forecast as fc
from observatory.targets.assess import assess
from observatory.targets.backtest import backtest, load_validation_series
from observatory.targets.forms import CumulativeTarget, EveryYearTarget, LevelTarget
from observatory.targets.pace import required_pace, required_pace_by_group
from tests.reference_data import reference_path

GROWTH = pd.Series(100 * 1.05 ** np.arange(10) * (1 + 0.01 * np.sin(np.arange(10))),
                   index=range(2015, 2025))


def test_forecast_is_seeded_and_reproducible() -> None:
    a = assess(GROWTH, LevelTarget(150, 2028, 1), "forecast", seed=7)
    b = assess(GROWTH, LevelTarget(150, 2028, 1), "forecast", seed=7)
    assert a.probability == b.probability
    pd.testing.assert_frame_equal(a.fan, b.fan)
    assert list(a.fan["year"]) == [2025, 2026, 2027, 2028]
    assert (a.fan["p10"] < a.fan["p50"]).all() and (a.fan["p50"] < a.fan["p90"]).all()
    assert a.p90 == a.fan["p90"].iloc[-1]


def test_probability_orders_with_the_target() -> None:
    easy = assess(GROWTH, LevelTarget(120, 2028, 1), "forecast").probability
    mid = assess(GROWTH, LevelTarget(190, 2028, 1), "forecast").probability
    hard = assess(GROWTH, LevelTarget(400, 2028, 1), "forecast").probability
    assert easy > 0.95 and hard < 0.05 and 0.2 < mid < 0.8


def test_calibrated_fan_is_wider_than_the_naive_one() -> None:
    model = fc.fit(GROWTH.iloc[:6])
    wide = fc.simulate(model, 5, seed=1)
    narrow = fc.simulate(model, 5, seed=1, calibrated=False)
    spread = lambda p: np.subtract(*np.quantile(p[:, -1], [0.9, 0.1]))  # noqa: E731
    assert spread(wide) > 1.3 * spread(narrow)


def test_every_year_and_cumulative_forecasts() -> None:
    rd = pd.Series([3.4, 3.6, 3.55, 3.8, 3.7, 3.9], index=range(2019, 2025))
    missed = assess(rd, EveryYearTarget(3.5, 1, from_year=2019, to_year=2028), "forecast")
    assert missed.probability == 0.0  # 2019 (3.4) already broke "at least 3.5 every year"
    keep = assess(rd, EveryYearTarget(3.5, 1, from_year=2020, to_year=2028), "forecast")
    strict = assess(rd, EveryYearTarget(3.8, 1, from_year=2024, to_year=2028), "forecast")
    assert 0.5 < keep.probability < 1.0
    assert strict.probability < keep.probability
    added = pd.Series([30.0, 32, 35, 33, 36], index=range(2020, 2025))
    more = assess(added, CumulativeTarget(150, 2023, 2026), "forecast").probability
    # 68 done; 2025-2026 add about 37 + 38: a total near 143, short of 150 more often than not
    assert 0.05 < more < 0.5


def test_interval_coverage_on_held_back_official_series() -> None:
    series = load_validation_series(str(reference_path("progress_validation")))
    calibrated = backtest(series)
    naive = backtest(series, calibrated=False)
    assert calibrated.n_series >= 100
    assert 0.70 <= calibrated.coverage <= 0.90
    assert naive.coverage < calibrated.coverage


def test_required_pace() -> None:
    s = pd.Series([100.0, 110, 121], index=[2022, 2023, 2024])
    p = required_pace(s, 200, 2028, direction=1)
    assert p.required_rate == pytest.approx((200 / 121) ** 0.25 - 1)
    assert p.observed_rate == pytest.approx(0.10)
    assert p.acceleration == pytest.approx(p.required_rate - 0.10)
    assert not p.met
    assert required_pace(s, 120, 2028, direction=1).required_rate == 0.0


def test_required_pace_by_group_shows_where_the_gap_is() -> None:
    frame = pd.DataFrame({
        "district": ["A"] * 3 + ["B"] * 3,
        "year": [2022, 2023, 2024] * 2,
        "value": [10, 11, 12.1, 10, 10.2, 10.4],
        "goal": [20] * 3 + [15] * 3,
    })
    out = required_pace_by_group(frame, group="district", target_value="goal",
                                 target_year=2028, direction=1)
    assert list(out["district"]) == ["B", "A"]  # B grows 2 % but needs 9.6 % a year
    assert out.loc[0, "required_rate"] == pytest.approx((15 / 10.4) ** 0.25 - 1)
