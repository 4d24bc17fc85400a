"""Outlier treatment: winsorise while skew and kurtosis are both high, else fall back to a log.

Published method (JRC/COIN handbook, GII technical notes): an indicator is treated when
|skewness| >= s AND kurtosis >= k (s = 2.25 in the GII notes, 2 in COINr's default; k = 3.5).
Points are winsorised one at a time (the most extreme value on the side of the skew takes the
value of the next one) until the indicator passes or ``winmax`` points have been changed. If it
still fails, the ORIGINAL column is log-transformed instead. Skewness and kurtosis are the
sample-adjusted (Excel / e1071 type 2) estimators.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LOGS = {"log_CT", "log_CT_plus", "log_CT_orig", "log_GII", "log_GII_coinr", "none"}


def skew(x: np.ndarray) -> float:
    """Sample skewness G1 (Excel SKEW, e1071 type 2), NaN ignored; NaN if fewer than 3 points."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n < 3:
        return math.nan
    d = x - x.mean()
    m2 = np.sum(d**2)
    if m2 == 0:
        return math.nan
    g1 = math.sqrt(n) * np.sum(d**3) / m2**1.5
    return float(g1 * math.sqrt(n * (n - 1)) / (n - 2))


def kurt(x: np.ndarray) -> float:
    """Sample excess kurtosis G2 (Excel KURT, e1071 type 2); NaN if fewer than 4 points."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n < 4:
        return math.nan
    d = x - x.mean()
    m2 = np.sum(d**2)
    if m2 == 0:
        return math.nan
    r = n * np.sum(d**4) / m2**2
    return float(((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))


def passes(x: np.ndarray, skew_thresh: float, kurt_thresh: float) -> tuple[bool, float, float]:
    """True unless |skew| >= skew_thresh AND kurt >= kurt_thresh (NaN statistics pass)."""
    s, k = skew(x), kurt(x)
    if math.isnan(s) or math.isnan(k):
        return True, s, k
    return bool(abs(s) < skew_thresh or k < kurt_thresh), s, k


def log_transform(x: np.ndarray, kind: str) -> np.ndarray:
    """The fallback transforms, applied to the original column.

    * ``log_CT``: log(x - min + 0.01 (max - min)) (COIN Tool, modified so the minimum is finite);
    * ``log_CT_plus``: as log_CT when skew > 0, else -log(max + 0.01 (max - min) - x);
    * ``log_CT_orig``: log(x - min + 1);
    * ``log_GII``: ln[(max - 1)(x - min)/(max - min) + 1] (GII 2020 notes);
    * ``log_GII_coinr``: COINr 1.1.14's log_GII, which computes that but returns x unchanged.
    """
    x = np.asarray(x, dtype=float)
    mn, mx = np.nanmin(x), np.nanmax(x)
    a = 0.01 * (mx - mn)
    if kind == "log_CT":
        return np.log(x - mn + a)
    if kind == "log_CT_plus":
        return np.log(x - mn + a) if skew(x) > 0 else -np.log(mx + a - x)
    if kind == "log_CT_orig":
        return np.log(x - mn + 1.0)
    if kind == "log_GII":
        return np.log((mx - 1.0) * (x - mn) / (mx - mn) + 1.0)
    if kind == "log_GII_coinr":
        return x.copy()
    if kind == "none":
        return x.copy()
    raise ValueError(f"unknown log transform {kind!r}; choose one of {sorted(LOGS)}")


@dataclass
class TreatResult:
    """Treated column plus what happened and why."""

    x: np.ndarray
    skew0: float
    kurt0: float
    pass0: bool
    nwin: int | None = None
    skew1: float | None = None
    kurt1: float | None = None
    pass1: bool | None = None
    skew2: float | None = None
    kurt2: float | None = None
    pass2: bool | None = None
    treatment: str = "none"
    points: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """Plain-language account of the decision."""
        if self.pass0:
            return "passes (|skew| or kurtosis below threshold)"
        if self.treatment == "winsorise":
            return f"failed skew/kurtosis; winsorised {self.nwin} point(s) until it passed"
        return (
            f"failed skew/kurtosis; winsorising {self.nwin} point(s) was not enough, "
            f"{self.treatment} applied to the original values"
        )


def resolve_winmax(winmax: int | str | None, n: int) -> int | None:
    """``winmax`` as an int, ``'10pc'`` (ceil(0.1 n)) or None (no limit)."""
    if winmax is None:
        return None
    if isinstance(winmax, str):
        if winmax != "10pc":
            raise ValueError(f"winmax must be an integer, '10pc' or null, not {winmax!r}")
        return math.ceil(0.1 * n)
    return int(winmax)


def treat_column(
    x: np.ndarray, *, winmax: int | str | None = 5, skew_thresh: float = 2.25,
    kurt_thresh: float = 3.5, fallback: str = "log_CT", count: str = "points",
) -> TreatResult:
    """Winsorise-then-log treatment of one column (NaN positions are left alone).

    ``count='points'`` counts every point changed (the published method); ``count='coinr'``
    reproduces COINr 1.1.14, which counts only the points changed in the last step on each side,
    so with winmax > 1 it rarely stops before the column passes.
    """
    x0 = np.asarray(x, dtype=float)
    n = int(np.sum(~np.isnan(x0)))
    if 0 < n < 10:
        warnings.warn(
            f"skewness/kurtosis on {n} < 10 points are unreliable", RuntimeWarning, stacklevel=2
        )
    ok, s0, k0 = passes(x0, skew_thresh, kurt_thresh)
    res = TreatResult(x=x0.copy(), skew0=s0, kurt0=k0, pass0=ok, points=[""] * x0.size)
    if ok:
        return res
    wmax = resolve_winmax(winmax, n)
    xw = x0.copy()
    marks = [""] * x0.size
    changed: set[int] = set()
    last_hi: np.ndarray = np.array([], dtype=int)
    last_lo: np.ndarray = np.array([], dtype=int)
    nwin = 0
    passing = False
    while not passing and (wmax is None or nwin < wmax):
        if skew(xw) >= 0:
            top = np.nanmax(xw)
            idx = np.flatnonzero(xw == top)
            rest = np.delete(xw, idx)
            xw[idx] = np.nanmax(rest)
            last_hi = idx
            tag = "winhi"
        else:
            bot = np.nanmin(xw)
            idx = np.flatnonzero(xw == bot)
            rest = np.delete(xw, idx)
            xw[idx] = np.nanmin(rest)
            last_lo = idx
            tag = "winlo"
        for i in idx:
            changed.add(int(i))
            marks[i] = tag
        nwin = len(last_hi) + len(last_lo) if count == "coinr" else len(changed)
        passing, _, _ = passes(xw, skew_thresh, kurt_thresh)
    if count == "coinr":  # COINr records only the last points on each side
        marks = [""] * x0.size
        for i in last_hi:
            marks[i] = "winhi"
        for i in last_lo:
            marks[i] = "winlo"
    p1, s1, k1 = passes(xw, skew_thresh, kurt_thresh)
    res.nwin, res.skew1, res.kurt1, res.pass1 = nwin, s1, k1, p1
    if p1 or fallback == "none":
        res.x, res.treatment, res.points = xw, "winsorise", marks
        return res
    xl = log_transform(x0, fallback)
    p2, s2, k2 = passes(xl, skew_thresh, kurt_thresh)
    res.x, res.skew2, res.kurt2, res.pass2 = xl, s2, k2, p2
    res.treatment = fallback
    res.points = [fallback if not np.isnan(v) else "" for v in x0]
    return res


def treat_details_row(code: str, r: TreatResult) -> dict[str, Any]:
    """One row of the treatment report."""
    return {
        "iCode": code, "pass0": r.pass0, "skew0": r.skew0, "kurt0": r.kurt0, "nwin": r.nwin,
        "pass1": r.pass1, "skew1": r.skew1, "kurt1": r.kurt1, "pass2": r.pass2,
        "skew2": r.skew2, "kurt2": r.kurt2, "treatment": r.treatment, "reason": r.reason,
    }
