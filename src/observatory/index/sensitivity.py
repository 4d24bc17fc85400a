"""Variance-based sensitivity: Sobol first-order and total indices with bootstrap intervals.

Sample layout (COINr's and Saltelli's): N rows of matrix A, N rows of B, then for each input i
N rows of AB_i (A with column i taken from B); N (d + 2) model runs in all. Estimators
(Saltelli et al. 2010, Table 2): first order S_i = mean(yB (yAB_i - yA)) / V (Saltelli 2010),
total ST_i = sum((yA - yAB_i)^2) / (2 N V) (Jansen 1999), V = var(c(yA, yB)) with n - 1.
SALib's ``sobol.analyze`` uses a different row layout and the population variance, so its
numbers differ slightly at finite N; these formulas reproduce COINr exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def sobol_sample(N: int, d: int, seed: int = 0) -> np.ndarray:
    """N (d + 2) x d sample of the unit hypercube in the A / B / AB_i layout (seeded)."""
    rng = np.random.default_rng(seed)
    A = rng.random((N, d))
    B = rng.random((N, d))
    blocks = [A, B]
    for i in range(d):
        AB = A.copy()
        AB[:, i] = B[:, i]
        blocks.append(AB)
    return np.vstack(blocks)


def _indices(y: np.ndarray, N: int, d: int) -> tuple[np.ndarray, np.ndarray, float]:
    yA, yB = y[:N], y[N:2 * N]
    V = float(np.var(np.concatenate([yA, yB]), ddof=1))
    S, ST = np.empty(d), np.empty(d)
    for i in range(d):
        yAB = y[(2 + i) * N:(3 + i) * N]
        S[i] = np.mean(yB * (yAB - yA)) / V
        ST[i] = np.sum((yA - yAB) ** 2) / (2 * N * V)
    return S, ST, V


def sobol_indices(
    y: np.ndarray, N: int, d: int, names: list[str] | None = None, n_boot: int = 0,
    ci: float = 0.9, seed: int = 0,
) -> pd.DataFrame:
    """First-order and total indices from model outputs ``y`` (length N (d + 2)); with
    ``n_boot`` > 0, bootstrap percentile intervals (resampling the N base rows)."""
    y = np.asarray(y, dtype=float)
    if y.size != N * (d + 2):
        raise ValueError(f"y has {y.size} values; expected N (d + 2) = {N * (d + 2)}")
    S, ST, V = _indices(y, N, d)
    out = pd.DataFrame({"Variable": names or [f"V{i + 1}" for i in range(d)], "Si": S,
                        "STi": ST, "Variance": V})
    if n_boot:
        rng = np.random.default_rng(seed)
        blocks = y.reshape(d + 2, N)
        bs, bst = np.empty((n_boot, d)), np.empty((n_boot, d))
        for b in range(n_boot):
            idx = rng.integers(0, N, N)
            bs[b], bst[b], _ = _indices(blocks[:, idx].reshape(-1), N, d)
        lo, hi = (1 - ci) / 2, 1 - (1 - ci) / 2
        out["Si_lo"], out["Si_hi"] = np.quantile(bs, lo, 0), np.quantile(bs, hi, 0)
        out["STi_lo"], out["STi_hi"] = np.quantile(bst, lo, 0), np.quantile(bst, hi, 0)
    return out


def index_sensitivity(p, spec, N: int, seed: int = 0, n_boot: int = 100) -> pd.DataFrame:
    """Sobol indices of the index ranks with respect to each uncertain input of ``spec`` (an
    ``uncertainty.UncertaintySpec``; weight noise counts as one input). Each input's value is
    picked from a uniform number (discrete choices split [0, 1) evenly; the weight noise is
    drawn from a generator seeded by it). Output per run: mean absolute rank change from the
    nominal ranks over all units (COINr's default sensitivity output)."""
    from .uncertainty import run_scores

    names = [f"{u.step}.{u.param or 'spec'}" for u in spec.inputs]
    if spec.weights is not None:
        names.append("weights")
    d = len(names)
    X = sobol_sample(N, d, seed)
    agg_step = next(s for s in reversed(p.log) if s.name == "aggregate")
    base_w = p.resolve_weights(agg_step.params["weights"])
    runs = []
    for row in X:
        run: dict = {}
        for j, u in enumerate(spec.inputs):
            v = u.values[min(int(row[j] * len(u.values)), len(u.values) - 1)]
            run.setdefault(u.step, {}).update(dict(v) if u.param is None else {u.param: v})
        if spec.weights is not None:
            rng = np.random.default_rng(int(row[-1] * 2**32))
            nz = spec.weights.noise
            run.setdefault("aggregate", {})["weights"] = {
                c: float(w * rng.uniform(1 - nz, 1 + nz)) if p.meta.level(c)
                in spec.weights.levels else w for c, w in base_w.items()}
        runs.append(run)
    scores = run_scores(p, runs)
    top = p.meta.codes(p.meta.n_levels)[0]
    nominal = p.get(agg_step.params["write_to"])[top].loc[scores.index]
    ranks = scores.rank(ascending=False, method="min").to_numpy()
    nom = nominal.rank(ascending=False, method="min").to_numpy()[:, None]
    y = np.mean(np.abs(ranks - nom), axis=0)
    return sobol_indices(y, N, d, names, n_boot=n_boot, seed=seed)
