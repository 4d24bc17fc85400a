"""Aggregation of child scores into a parent score, vectorised over units and weight sets.

``aggregate_block(X, W, method)``: X is (n units, k children) with NaN for missing values;
W is (k,) or (R, k) (R weight sets, e.g. Monte Carlo runs). Missing children are skipped and the
weights of the present ones renormalised; ``dat_thresh`` makes a score NaN when the share of
present children is below it. Result: (n,) or (n, R).
"""

from __future__ import annotations

from typing import Any

import numpy as np

METHODS = {"amean", "gmean", "hmean", "genmean", "mpi", "copeland"}


def aggregate_block(
    X: np.ndarray, W: np.ndarray, method: str = "amean", params: dict[str, Any] | None = None,
    dat_thresh: float | None = None,
) -> np.ndarray:
    """Weighted aggregation of the columns of X (see module docstring)."""
    params = params or {}
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    single = W.ndim == 1
    W2 = W[None, :] if single else W
    mask = ~np.isnan(X)
    m = mask.astype(float)
    den = m @ W2.T  # (n, R)
    if method == "amean":
        out = (np.where(mask, X, 0.0) @ W2.T) / den
    elif method == "gmean":
        if np.any(X[mask] <= 0):
            raise ValueError("geometric mean needs positive values; normalise to e.g. 1-100")
        out = np.exp((np.where(mask, np.log(np.where(mask, X, 1.0)), 0.0) @ W2.T) / den)
    elif method == "hmean":
        if np.any(X[mask] <= 0):
            raise ValueError("harmonic mean needs strictly positive values")
        out = den / (np.where(mask, 1.0 / np.where(mask, X, 1.0), 0.0) @ W2.T)
    elif method == "genmean":
        p = float(params.get("p", 1.0))
        if p == 0:
            return aggregate_block(X, W, "gmean", dat_thresh=dat_thresh)
        if np.any(X[mask] <= 0):
            raise ValueError("generalised mean needs strictly positive values")
        out = ((np.where(mask, X, 1.0) ** p * m) @ W2.T / den) ** (1.0 / p)
    elif method == "mpi":
        # Mazziotta-Pareto: M - S * cv = M - S^2 / M, with weighted mean and population SD
        Xz = np.where(mask, X, 0.0)
        M = (Xz @ W2.T) / den
        S2 = (Xz**2 @ W2.T) / den - M**2
        S2 = np.maximum(S2, 0.0)
        sign = -1.0 if params.get("penalty", "negative") == "negative" else 1.0
        out = M + sign * S2 / M
    elif method == "copeland":
        out = np.column_stack([copeland(X, w) for w in W2])
    else:
        raise ValueError(f"unknown aggregation method {method!r}; choose one of {sorted(METHODS)}")
    if dat_thresh is not None:
        share = mask.sum(axis=1) / X.shape[1]
        out = np.where((share < dat_thresh)[:, None], np.nan, out)
    return out[:, 0] if single else out


def outranking_matrix(X: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """OM[i, j] = weight share of criteria where unit i beats unit j, ties count half; diag 0."""
    X = np.asarray(X, dtype=float)
    k = X.shape[1]
    w = np.ones(k) if w is None else np.asarray(w, dtype=float)
    w = w / w.sum()
    gt = (X[:, None, :] > X[None, :, :]).astype(float)
    eq = (X[:, None, :] == X[None, :, :]).astype(float)
    om = (gt + 0.5 * eq) @ w
    np.fill_diagonal(om, 0.0)
    return om


def copeland(X: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Copeland score: pairwise majority wins minus losses from the outranking matrix."""
    om = outranking_matrix(X, w)
    s = np.sign(om - 0.5)
    np.fill_diagonal(s, 0.0)
    return s.sum(axis=1)


def n_dominant(X: np.ndarray, w: np.ndarray | None = None) -> tuple[int, float]:
    """Number (and share of the n(n-1)/2 pairs) of unit pairs where one beats the other on all."""
    om = outranking_matrix(X, w)
    n = om.shape[0]
    iu = np.triu_indices(n, 1)
    dom = int(np.sum((om[iu] == 1.0) | (om.T[iu] == 1.0)))
    return dom, dom / (n * (n - 1) / 2)


def aggregate_runs(
    X: np.ndarray, W: np.ndarray, method: str = "amean", params: dict[str, Any] | None = None,
    dat_thresh: float | None = None,
) -> np.ndarray:
    """``aggregate_block`` for R runs at once with run-specific children: X is (n, k, R), W is
    (R, k); returns (n, R). Same formulas, broadcast over the run axis."""
    params = params or {}
    X = np.asarray(X, dtype=float)
    if method == "copeland":
        return np.column_stack([copeland(X[:, :, r], W[r]) for r in range(X.shape[2])])
    Wb = np.asarray(W, dtype=float).T[None, :, :]  # (1, k, R)
    mask = ~np.isnan(X)
    den = np.sum(mask * Wb, axis=1)
    Xs = np.where(mask, X, 1.0)
    if method in ("gmean", "hmean", "genmean") and np.any(X[mask] <= 0):
        raise ValueError(f"{method} needs strictly positive values")
    if method == "amean":
        out = np.sum(np.where(mask, X, 0.0) * Wb, axis=1) / den
    elif method == "gmean" or (method == "genmean" and float(params.get("p", 1.0)) == 0):
        out = np.exp(np.sum(np.where(mask, np.log(Xs), 0.0) * Wb, axis=1) / den)
    elif method == "hmean":
        out = den / np.sum(np.where(mask, 1.0 / Xs, 0.0) * Wb, axis=1)
    elif method == "genmean":
        p = float(params.get("p", 1.0))
        out = (np.sum(np.where(mask, Xs**p, 0.0) * Wb, axis=1) / den) ** (1.0 / p)
    elif method == "mpi":
        Xz = np.where(mask, X, 0.0)
        M = np.sum(Xz * Wb, axis=1) / den
        S2 = np.maximum(np.sum(Xz**2 * Wb, axis=1) / den - M**2, 0.0)
        sign = -1.0 if params.get("penalty", "negative") == "negative" else 1.0
        out = M + sign * S2 / M
    else:
        raise ValueError(f"unknown aggregation method {method!r}; choose one of {sorted(METHODS)}")
    if dat_thresh is not None:
        share = mask.sum(axis=1) / X.shape[1]
        out = np.where(share < dat_thresh, np.nan, out)
    return out
