"""Required pace: the annual growth needed from the latest value to reach a target.

Why: "on track or not" does not tell a bureau how much faster it must go, nor where (which
district or field) the gap is. The pace compares the compound annual growth the target needs
from now with the one observed since the base year, overall and per group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Pace:
    """Required and observed annual growth (compound rates, 0.05 = 5 % a year)."""

    current_year: int
    current_value: float
    required_rate: float | None
    observed_rate: float | None
    #: required minus observed (positive: must speed up).
    acceleration: float | None
    met: bool


def _rate(start: float, end: float, years: float) -> float | None:
    if years <= 0 or start <= 0 or end <= 0:
        return None
    return (end / start) ** (1.0 / years) - 1.0


def required_pace(
    series: pd.Series,
    target_value: float,
    target_year: int,
    *,
    direction: int,
    base_year: int | None = None,
) -> Pace:
    """Annual growth needed from the latest observation to ``target_value`` in ``target_year``.

    Rates need positive values; otherwise (or when the target year has come) they are ``None``.
    ``observed_rate`` runs from ``base_year`` (default: the first observation) to the latest.
    """
    s = pd.Series(series, dtype="float64").dropna()
    s.index = s.index.astype(int)
    s = s.sort_index()
    if s.empty:
        raise ValueError("the series has no observations")
    year, value = int(s.index[-1]), float(s.iloc[-1])
    met = direction * (value - target_value) >= 0
    base = s[s.index >= base_year] if base_year is not None else s
    observed = _rate(float(base.iloc[0]), value, year - int(base.index[0])) if len(base) else None
    required = _rate(value, target_value, target_year - year)
    if met and required is not None:
        required = 0.0  # already there: no growth needed (the slack is not a pace to aim for)
    acceleration = None
    if required is not None and observed is not None:
        acceleration = required - observed
    return Pace(year, value, required, observed, acceleration, bool(met))


def required_pace_by_group(
    frame: pd.DataFrame,
    *,
    group: str,
    target_value: float | str,
    target_year: int,
    direction: int,
    year: str = "year",
    value: str = "value",
    base_year: int | None = None,
) -> pd.DataFrame:
    """Required pace per group (district, field) from a long DataFrame.

    ``target_value`` is one number for every group or the name of a column holding each group's
    target. Sorted by the acceleration needed, largest first: where the gap is.
    """
    for col in (group, year, value):
        if col not in frame.columns:
            raise KeyError(f"column {col!r} not in the frame")
    rows = []
    for key, part in frame.groupby(group, sort=True):
        goal = (float(part[target_value].dropna().iloc[0]) if isinstance(target_value, str)
                else float(target_value))
        p = required_pace(part.set_index(year)[value], goal, target_year, direction=direction,
                          base_year=base_year)
        rows.append({group: key, "current_year": p.current_year, "current_value": p.current_value,
                     "target_value": goal, "required_rate": p.required_rate,
                     "observed_rate": p.observed_rate, "acceleration": p.acceleration,
                     "met": p.met})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    key = out["acceleration"].astype(float) * direction
    return out.assign(_k=key.fillna(-np.inf)).sort_values("_k", ascending=False).drop(
        columns="_k").reset_index(drop=True)
