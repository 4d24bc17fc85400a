"""Normalisation methods, column-wise on a 2-D array (units x indicators), NaN kept as NaN.

Every function takes ``x`` of shape (n, k) (or (n,)) and normalises each column independently.
Direction is applied by the caller (``apply_directions``) before all methods except
``dist2targ`` and ``goalposts``, which take directions explicitly. See
docs/methodology/composite_index.md for the formulas and sources.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.stats import rankdata

Array = np.ndarray


def _2d(x: Array) -> Array:
    x = np.asarray(x, dtype=float)
    return x[:, None] if x.ndim == 1 else x


def minmax(x: Array, lower: float = 0.0, upper: float = 100.0) -> Array:
    """Rescale each column to [lower, upper] (JRC handbook min-max)."""
    x = _2d(x)
    mn = np.nanmin(x, axis=0)
    mx = np.nanmax(x, axis=0)
    return (x - mn) / (mx - mn) * (upper - lower) + lower


def zscore(x: Array, mean: float = 0.0, sd: float = 1.0, ddof: int = 1) -> Array:
    """Standardise each column to the given mean and SD (ddof=1 sample SD, ddof=0 population)."""
    x = _2d(x)
    return (x - np.nanmean(x, axis=0)) / np.nanstd(x, axis=0, ddof=ddof) * sd + mean


def rank(x: Array) -> Array:
    """Rank within each column, smallest = 1, ties get the minimum rank (R ``ties='min'``)."""
    x = _2d(x)
    return rankdata(x, method="min", axis=0, nan_policy="omit")


def prank(x: Array) -> Array:
    """Percentile rank in [0, 1]: (rank_min - 1) / (n_available - 1)."""
    x = _2d(x)
    n = np.sum(~np.isnan(x), axis=0)
    return (rank(x) - 1.0) / (n - 1.0)


def borda(x: Array) -> Array:
    """Borda score: number of units strictly below (rank_min - 1)."""
    return rank(x) - 1.0


def fracmax(x: Array) -> Array:
    """Fraction of the column maximum: x / max(x)."""
    x = _2d(x)
    return x / np.nanmax(x, axis=0)


def dist2max(x: Array) -> Array:
    """Distance to the maximum, 1 - (max - x) / (max - min); in [0, 1]."""
    x = _2d(x)
    mn = np.nanmin(x, axis=0)
    mx = np.nanmax(x, axis=0)
    return 1.0 - (mx - x) / (mx - mn)


def dist2targ(
    x: Array, targets: Array, directions: Array, cap_max: bool = False
) -> Array:
    """Distance to target: 1 - (t - x)/(t - min) for positive direction, 1 - (x - t)/(max - t)
    for negative; values beyond the target exceed 1 unless ``cap_max``."""
    x = _2d(x)
    t = np.asarray(targets, dtype=float)
    d = np.asarray(directions, dtype=float)
    mn = np.nanmin(x, axis=0)
    mx = np.nanmax(x, axis=0)
    pos = 1.0 - (t - x) / (t - mn)
    neg = 1.0 - (x - t) / (mx - t)
    out = np.where(d > 0, pos, neg)
    if cap_max:
        out = np.minimum(out, 1.0)
    return out


def goalposts(
    x: Array, lower: Array, upper: Array, directions: Array, scale: float = 100.0,
    trunc: bool = True,
) -> Array:
    """Goalposts on the original scale: (x - L)/(U - L) (positive) or (U - x)/(U - L) (negative),
    truncated to [0, 1] and multiplied by ``scale`` (GII/HDI style)."""
    x = _2d(x)
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    d = np.asarray(directions, dtype=float)
    y = np.where(d > 0, (x - lo) / (hi - lo), (hi - x) / (hi - lo))
    if trunc:
        y = np.clip(y, 0.0, 1.0)
    return y * scale


#: methods that take already direction-adjusted data and only scalar parameters
SIMPLE: dict[str, Callable[..., Array]] = {
    "minmax": minmax,
    "zscore": zscore,
    "rank": rank,
    "prank": prank,
    "borda": borda,
    "fracmax": fracmax,
    "dist2max": dist2max,
}
#: methods that need per-indicator metadata (target, goalposts) and handle direction themselves
WITH_META = {"dist2targ", "goalposts"}
METHODS = set(SIMPLE) | WITH_META


def normalise_block(
    x: Array, method: str, params: dict[str, Any], directions: Array,
    targets: Array | None = None, goalposts_lu: tuple[Array, Array] | None = None,
) -> Array:
    """Normalise the columns of ``x`` with one method; direction applied first where it applies."""
    x = _2d(x)
    d = np.asarray(directions, dtype=float)
    if method in SIMPLE:
        return SIMPLE[method](x * d, **params)
    if method == "dist2targ":
        if targets is None or np.any(np.isnan(targets)):
            raise ValueError("dist2targ needs a Target for every indicator")
        return dist2targ(x, targets, d, **params)
    if method == "goalposts":
        if goalposts_lu is None:
            raise ValueError("goalposts needs lower and upper goalposts for every indicator")
        return goalposts(x, goalposts_lu[0], goalposts_lu[1], d, **params)
    raise ValueError(f"unknown normalisation method {method!r}; choose one of {sorted(METHODS)}")
