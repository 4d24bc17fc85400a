"""Weights beyond the given ones: PCA-based (first principal component loadings per group), and
optimised so that each child's correlation with the parent approaches a target share."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from .meta import IndexMeta


def pca_weights(x: pd.DataFrame, meta: IndexMeta, level: int = 1) -> dict[str, float]:
    """Loadings of the first principal component of the correlation matrix of the children of
    each parent at ``level`` + 1 (PCA on standardised data, complete rows only). The sign is
    chosen so that the loadings sum to a positive number."""
    out: dict[str, float] = {}
    for p in meta.codes(level + 1):
        ch = meta.children(p)
        z = x[ch].dropna().to_numpy(dtype=float)
        z = (z - z.mean(0)) / z.std(0, ddof=1)
        _, _, vt = np.linalg.svd(z, full_matrices=False)
        v = vt[0]
        if v.sum() < 0:
            v = -v
        out.update(dict(zip(ch, v.tolist(), strict=True)))
    return out


def optimise_weights(
    score_fn: Callable[[dict[str, float]], pd.DataFrame], meta: IndexMeta, level: int,
    targets: list[float] | None = None, tol: float = 1e-6, maxiter: int = 500,
) -> tuple[dict[str, float], pd.DataFrame]:
    """Weights at ``level`` (one parent, e.g. the sub-indices of the index) chosen by
    Nelder-Mead so that the normalised correlations of the children with their parent
    (corr_i / sum corr) approach ``targets`` (default: equal). ``score_fn(weights)`` must
    return the aggregated data set for those weights. Returns the weights (summing to 1) and a
    table Desired / Obtained / OptWeight."""
    codes = meta.codes(level)
    parent = meta.parent(codes[0])
    k = len(codes)
    tgt = np.full(k, 1.0 / k) if targets is None else np.asarray(targets, float)

    def obtained(w: np.ndarray) -> np.ndarray:
        df = score_fn(dict(zip(codes, w.tolist(), strict=True)))
        r = np.array([df[c].corr(df[parent]) for c in codes])
        return r / r.sum()

    def loss(v: np.ndarray) -> float:
        w = np.abs(v) / np.abs(v).sum()
        return float(np.sum((obtained(w) - tgt) ** 2))

    res = minimize(loss, np.full(k, 1.0 / k), method="Nelder-Mead",
                   options={"xatol": tol, "fatol": tol**2, "maxiter": maxiter})
    w = np.abs(res.x) / np.abs(res.x).sum()
    table = pd.DataFrame({"Desired": tgt, "Obtained": obtained(w), "OptWeight": w}, index=codes)
    return dict(zip(codes, w.tolist(), strict=True)), table
