"""Destatis "weather symbol" method of the German Sustainable Development Strategy (DNS).

Why: it is the published method for plan-style targets (a value by a year, a threshold every
year, a direction only), and Destatis publishes the symbols, so the rules are pinned by the
Germany fixtures (``tests/targets/test_weather_germany.py``). Method text and sources:
``docs/methodology/progress.md``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Best to worst.
SYMBOLS: tuple[str, ...] = ("sun", "sun_cloud", "cloud", "thunderstorm", "not_available")
SUN_LIMIT = 0.05
CLOUD_LIMIT = 0.20
MIN_POINTS = 4
WINDOW_POINTS = 6

COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class WeatherResult:
    """One weather assessment: the symbol and the figures that decided it."""

    symbol: str
    current_year: int | None = None
    current_value: float | None = None
    average_change: float | None = None
    last_change: float | None = None
    projected_value: float | None = None
    #: Projected shortfall at the target year as a share of the remaining gap (level targets).
    shortfall_ratio: float | None = None
    reason: str = ""


def _clean(series: pd.Series, up_to: int | None) -> pd.Series:
    s = pd.Series(series, dtype="float64").dropna()
    s.index = s.index.astype(int)
    s = s.sort_index()
    if up_to is not None:
        s = s[s.index <= up_to]
    return s


def average_change(series: pd.Series) -> float:
    """Mean annual change over the last five changes (last six points; at least four points)."""
    window = series.iloc[-WINDOW_POINTS:]
    years = int(window.index[-1]) - int(window.index[0])
    return float(window.iloc[-1] - window.iloc[0]) / years


def _not_enough(s: pd.Series) -> WeatherResult | None:
    if len(s) < MIN_POINTS:
        return WeatherResult("not_available", reason=f"{len(s)} points, at least 4 needed")
    return None


def assess_every_year(
    series: pd.Series,
    threshold: float | pd.Series,
    *,
    direction: int,
    comparator: str | None = None,
    assessment_year: int | None = None,
) -> WeatherResult:
    """Threshold to keep every year: the latest value decides first, then the average change.

    ``threshold`` may be a series by year (e.g. a reference series such as the EU average); the
    value for the latest year with both observations is used.
    """
    s = _clean(series, assessment_year)
    if (short := _not_enough(s)) is not None:
        return short
    comparator = comparator or (">=" if direction > 0 else "<=")
    if isinstance(threshold, pd.Series):
        ref = _clean(threshold, assessment_year)
        common = s.index.intersection(ref.index)
        if common.empty:
            return WeatherResult("not_available", reason="no reference value")
        bound = float(ref.loc[common.max()])
        latest = float(s.loc[common.max()])
    else:
        bound = float(threshold)
        latest = float(s.iloc[-1])
    slope = average_change(s)
    met = COMPARATORS[comparator](latest, bound)
    moving = direction * slope
    if met:
        symbol = "sun" if moving >= 0 else "sun_cloud"
    else:
        symbol = "cloud" if moving > 0 else "thunderstorm"
    shown = np.format_float_positional(bound, trim="-")  # never 1.582e+04
    return WeatherResult(symbol, int(s.index[-1]), float(s.iloc[-1]), slope,
                         reason=f"threshold {comparator} {shown} {'met' if met else 'missed'}")


def assess_level(
    series: pd.Series,
    target_value: float,
    target_year: int,
    *,
    direction: int,
    assessment_year: int | None = None,
) -> WeatherResult:
    """Value to reach by a year: project the average change to the target year.

    A target already met is judged as a threshold to keep (met and not deteriorating -> sun).
    """
    s = _clean(series, assessment_year)
    if (short := _not_enough(s)) is not None:
        return short
    latest, year = float(s.iloc[-1]), int(s.index[-1])
    if direction * (latest - target_value) >= 0:
        return assess_every_year(s, target_value, direction=direction)
    slope = average_change(s)
    projected = latest + slope * (target_year - year)
    gap = abs(target_value - latest)
    ratio = direction * (target_value - projected) / gap
    if direction * slope <= 0:
        symbol = "thunderstorm"
    elif ratio < SUN_LIMIT:
        symbol = "sun"
    elif ratio <= CLOUD_LIMIT:
        symbol = "sun_cloud"
    else:
        symbol = "cloud"
    return WeatherResult(symbol, year, latest, slope, projected_value=projected,
                         shortfall_ratio=ratio)


def assess_direction(
    series: pd.Series, *, direction: int, assessment_year: int | None = None
) -> WeatherResult:
    """Direction only: the average change decides first, then the last annual change."""
    s = _clean(series, assessment_year)
    if (short := _not_enough(s)) is not None:
        return short
    slope = average_change(s)
    last = float(s.iloc[-1] - s.iloc[-2]) / (int(s.index[-1]) - int(s.index[-2]))
    avg_right, last_right = direction * slope > 0, direction * last > 0
    if avg_right:
        symbol = "sun" if last_right else "sun_cloud"
    else:
        symbol = "cloud" if last_right else "thunderstorm"
    return WeatherResult(symbol, int(s.index[-1]), float(s.iloc[-1]), slope, last)


def worst_symbol(symbols: list[str]) -> str:
    """Several simultaneous targets: the worst symbol counts (not_available only if all are)."""
    known = [s for s in symbols if s != "not_available"]
    if not known:
        return "not_available"
    return max(known, key=SYMBOLS.index)


def symbol_score(symbol: str) -> float | None:
    """A number for sorting and averaging: sun 2, sun_cloud 1, cloud -1, thunderstorm -2."""
    return {"sun": 2.0, "sun_cloud": 1.0, "cloud": -1.0, "thunderstorm": -2.0}.get(symbol)
