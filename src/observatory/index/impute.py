"""Imputation of missing indicator values.

Column methods (per indicator): ``mean``, ``median``, ``mean_grp``/``median_grp`` (by a group
column), ``none`` (leave NaN: aggregation then uses what is there, renormalising weights).
Row method: ``row_mean`` — the mean of the unit's other indicators in the same aggregation group,
computed on min-max [0, 1] data (direction applied) and mapped back to the indicator's scale.
Panel methods: ``latest`` (most recent earlier year), ``constant`` (step interpolation: the
last earlier value, the first later one at the start), ``linear`` (linear interpolation between
the neighbouring years, constant beyond the ends).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMN = {"mean", "median", "mean_grp", "median_grp", "none"}
PANEL = {"latest", "constant", "linear"}
METHODS = COLUMN | PANEL | {"row_mean"}


def impute_column(x: pd.Series, method: str, groups: pd.Series | None = None) -> pd.Series:
    """Impute one column with a column method."""
    if method == "none" or not x.isna().any():
        return x.copy()
    if method == "mean":
        return x.fillna(x.mean())
    if method == "median":
        return x.fillna(x.median())
    if method in ("mean_grp", "median_grp"):
        if groups is None:
            raise ValueError(f"{method} needs a group column")
        agg = "mean" if method == "mean_grp" else "median"
        fill = x.groupby(groups).transform(agg)
        return x.fillna(fill)
    raise ValueError(f"unknown column imputation {method!r}")


def impute_row_mean(
    data: pd.DataFrame, parents: dict[str, str], directions: dict[str, float],
    normalise_first: bool = True,
) -> pd.DataFrame:
    """Fill each NaN with the unit's mean over the other indicators sharing the same parent."""
    d = np.array([directions[c] for c in data.columns], dtype=float)
    x = data.to_numpy(dtype=float) * d
    if normalise_first:
        mn, mx = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
        xn = (x - mn) / (mx - mn)
    else:
        xn = x.copy()
    out = xn.copy()
    par = np.array([parents[c] for c in data.columns])
    for p in pd.unique(par):
        cols = np.flatnonzero(par == p)
        block = xn[:, cols]
        with np.errstate(all="ignore"):
            row_mean = np.nanmean(block, axis=1)
        for j in cols:
            miss = np.isnan(xn[:, j])
            out[miss, j] = row_mean[miss]
    if normalise_first:
        out = out * (mx - mn) + mn
    out = out * d
    res = pd.DataFrame(out, index=data.index, columns=data.columns)
    return res.where(data.isna(), data)  # keep observed values bit-for-bit


def impute_panel(data: pd.DataFrame, method: str, time_level: str = "Time") -> pd.DataFrame:
    """Impute a (Time, unit)-indexed panel along time, unit by unit."""
    if method not in PANEL:
        raise ValueError(f"unknown panel imputation {method!r}")
    unit_level = [n for n in data.index.names if n != time_level][0]
    out = data.copy()
    for _, block in data.groupby(level=unit_level, sort=False):
        b = block.sort_index(level=time_level)
        t = b.index.get_level_values(time_level).to_numpy(dtype=float)
        for col in b.columns:
            y = b[col].to_numpy(dtype=float)
            miss = np.isnan(y)
            if not miss.any() or miss.all():
                continue
            ti, yi = t[~miss], y[~miss]
            filled = y.copy()
            for k in np.flatnonzero(miss):
                earlier = ti < t[k]
                if method == "latest":
                    if earlier.any():
                        filled[k] = yi[earlier][-1]
                elif method == "constant":
                    filled[k] = yi[earlier][-1] if earlier.any() else yi[0]
                else:
                    filled[k] = np.interp(t[k], ti, yi)
            out.loc[b.index, col] = filled
    return out
