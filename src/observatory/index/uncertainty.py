"""Monte Carlo uncertainty analysis by replaying the pipeline log with sampled parameters.

A run is a dict of edits to the log, e.g. ``{"treat": {"winmax": 3}, "normalise": {"method":
"zscore", "params": {"mean": 10, "sd": 2}}, "aggregate": {"method": "gmean", "weights": {...}}}``.
Runs are sampled from a seeded generator and stored, so any run can be replayed exactly with
``pipeline.replay(run)``. ``run_scores`` computes the same numbers much faster: it replays each
distinct combination of pre-aggregation edits once (reusing unchanged leading steps) and then
aggregates all runs of that combination at once, with their weights stacked in a matrix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .aggregate import aggregate_runs
from .pipeline import Pipeline


@dataclass
class UncertainInput:
    """One uncertain choice: ``step``.``param`` drawn uniformly from ``values`` (each value may
    be a dict of several parameters of that step when ``param`` is None)."""

    step: str
    values: list[Any]
    param: str | None = None


@dataclass
class WeightNoise:
    """Multiply each weight at ``levels`` by U(1 - noise, 1 + noise) independently."""

    levels: list[int]
    noise: float = 0.25


@dataclass
class UncertaintySpec:
    inputs: list[UncertainInput] = field(default_factory=list)
    weights: WeightNoise | None = None


def sample_runs(p: Pipeline, spec: UncertaintySpec, n: int, seed: int = 0
                ) -> list[dict[str, dict[str, Any]]]:
    """``n`` runs (edit dicts), reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    agg_step = next((s for s in reversed(p.log) if s.name == "aggregate"), None)
    base_w = p.resolve_weights(agg_step.params["weights"]) if agg_step else p.meta.weights()
    runs = []
    for _ in range(n):
        run: dict[str, dict[str, Any]] = {}
        for u in spec.inputs:
            v = u.values[int(rng.integers(len(u.values)))]
            edit = dict(v) if u.param is None else {u.param: v}
            run.setdefault(u.step, {}).update(edit)
        if spec.weights is not None:
            w = {}
            for c, val in base_w.items():
                if p.meta.level(c) in spec.weights.levels:
                    val = val * rng.uniform(1 - spec.weights.noise, 1 + spec.weights.noise)
                w[c] = float(val)
            run.setdefault("aggregate", {})["weights"] = w
        runs.append(run)
    return runs


def replay_scores(p: Pipeline, runs: list[dict], code: str | None = None) -> pd.DataFrame:
    """Baseline: replay every run through the pipeline one at a time; scores of ``code``."""
    code = code or p.meta.codes(p.meta.n_levels)[0]
    out = {}
    for i, run in enumerate(runs):
        q = p.replay(run)
        out[f"r_{i + 1}"] = q.get(q.log[-1].params["write_to"])[code]
    return pd.DataFrame(out)


def run_scores(p: Pipeline, runs: list[dict], code: str | None = None) -> pd.DataFrame:
    """Same result as ``replay_scores``, vectorised across runs (aggregation must be the last
    logged step)."""
    code = code or p.meta.codes(p.meta.n_levels)[0]
    if not p.log or p.log[-1].name != "aggregate":
        return replay_scores(p, runs, code)
    last = len(p.log) - 1
    base_agg = p.log[last].params
    groups: dict[str, list[int]] = {}
    for i, run in enumerate(runs):
        pre = {k: v for k, v in run.items() if k not in ("aggregate", last)}
        agg = {k: v for k, v in {**run.get("aggregate", {}), **run.get(last, {})}.items()
               if k != "weights"}
        groups.setdefault(json.dumps([pre, agg], sort_keys=True, default=str), []).append(i)
    nodes = [c for lev in range(2, p.meta.n_levels + 1) for c in p.meta.codes(lev)]
    all_codes = list(p.meta.tree.index)
    col = {c: j for j, c in enumerate(all_codes)}
    prefix_cache: dict[str, Pipeline] = {}
    result = None
    for key, idx in groups.items():
        pre, agg = json.loads(key)
        q = _prefix(p, pre, last, prefix_cache)
        params = {**base_agg, **agg}
        W = np.empty((len(idx), len(all_codes)))
        for r, i in enumerate(idx):
            w = q.resolve_weights(runs[i].get("aggregate", {}).get("weights", params["weights"]))
            W[r] = [w[c] for c in all_codes]
        scores = _aggregate_many(q, params, W, nodes, col)
        if result is None:
            result = np.empty((scores[code].shape[0], len(runs)))
            index = q.get(params["dset"]).index
        result[:, idx] = scores[code]
    return pd.DataFrame(result, index=index, columns=[f"r_{i + 1}" for i in range(len(runs))])


def _prefix(p: Pipeline, pre: dict, last: int, cache: dict[str, Pipeline]) -> Pipeline:
    """The pipeline up to (not including) step ``last`` with edits ``pre``, built step by step
    from cached partial replays so that a step is recomputed only for new edits up to it."""
    q = cache.setdefault("[]", p.replay(stop=last))
    done: list = []
    for j, step in enumerate(p.log[:last]):
        e = {**pre.get(step.name, {}), **pre.get(str(j), {}), **pre.get(j, {})}
        if not e:
            continue
        done.append([j, e])
        key = json.dumps(done, sort_keys=True, default=str)
        if key not in cache:
            cache[key] = q.replay({j: e})
        q = cache[key]
    return q


def _aggregate_many(q: Pipeline, params: dict, W: np.ndarray, nodes: list[str],
                    col: dict[str, int]) -> dict[str, np.ndarray]:
    """Pipeline.aggregate for R weight sets at once: node -> (n units, R) scores."""
    x = q.get(params["dset"])
    n, R = len(x), W.shape[0]
    vals: dict[str, np.ndarray] = {
        c: np.broadcast_to(x[c].to_numpy(dtype=float)[:, None], (n, R))
        for c in q.meta.indicators
    }
    per_level, per_node = params.get("per_level") or {}, params.get("per_node") or {}
    dat = params.get("dat_thresh")
    for node in nodes:
        lev = q.meta.level(node)
        m, pp = params["method"], params.get("params") or {}
        for src, k in ((per_level, lev), (per_node, node)):
            s = src.get(k, src.get(str(k)))
            if s is not None:
                m, pp = (s, {}) if isinstance(s, str) else (s.get("method", m),
                                                            s.get("params", {}))
        thr = dat.get(lev, dat.get(str(lev))) if isinstance(dat, dict) else dat
        ch = q.meta.children(node)
        X = np.stack([vals[c] for c in ch], axis=1)
        vals[node] = aggregate_runs(X, W[:, [col[c] for c in ch]], m, pp, thr)
    return vals


def rank_stats(scores: pd.DataFrame, nominal: pd.Series) -> pd.DataFrame:
    """Nominal rank, mean, median and 5-95 % interval (R quantile type 7) of ranks over runs;
    ranks are 1 = highest score, ties take the minimum."""
    ranks = scores.rank(ascending=False, method="min")
    nom = nominal.loc[scores.index].rank(ascending=False, method="min")
    arr = ranks.to_numpy(dtype=float)
    return pd.DataFrame({
        "Nominal": nom, "Mean": arr.mean(axis=1), "Median": np.median(arr, axis=1),
        "Q5": np.quantile(arr, 0.05, axis=1), "Q95": np.quantile(arr, 0.95, axis=1),
    }, index=scores.index)
