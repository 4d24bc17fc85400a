"""Benchmark: Monte Carlo uncertainty analysis of a composite index.

1. ASEM (COINr example, 51 units x 49 indicators, 4 levels) with the fixture's uncertainty
   specs (winmax 1-5, minmax(1,100) vs zscore(10,2), weights +/-25 % at levels 2-3, amean vs
   gmean): 1,000 runs vectorised across runs, against the baseline in the same process — the
   straightforward one-run-at-a-time replay through the pipeline object (timed on a sample of
   runs) — and checked identical (1e-9) to that replay on the sampled runs.
2. Synthetic (random, says so): 500 units x 100 indicators (10 pillars, 2 sub-indices),
   10,000 runs with the same kinds of uncertain choices.
Machine: the team's 2-core box. COINr 1.1.14 takes about 0.1 s per run on ASEM.
Run: .venv/bin/python bench/index_uncertainty.py [--quick]
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.index import uncertainty as ua
from observatory.index.coinr_io import pipeline_from_files
from observatory.index.pipeline import Pipeline

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
ASEM = DATA / "composite_index_validation/coinr_v1.1.14_asem/inputs"
NORMS = [{"method": "minmax", "params": {"lower": 1, "upper": 100}},
         {"method": "zscore", "params": {"mean": 10, "sd": 2}}]


def spec() -> ua.UncertaintySpec:
    return ua.UncertaintySpec(
        [ua.UncertainInput("treat", [1, 2, 3, 4, 5], "winmax"),
         ua.UncertainInput("normalise", NORMS),
         ua.UncertainInput("aggregate", ["amean", "gmean"], "method")],
        ua.WeightNoise([2, 3], 0.25))


def build(p: Pipeline, denominate: bool = True) -> Pipeline:
    if denominate:
        p.denominate("Raw").impute("Denominated", method="mean_grp", group="EurAsia_group")
    else:
        p.impute("Raw", method="mean")
    p.screen("Imputed", dat_thresh=0.9).treat("Screened", winmax=5, skew_thresh=2.0)
    return p.normalise("Treated").aggregate("Normalised")


def bench(name: str, p: Pipeline, n_runs: int, n_base: int) -> None:
    runs = ua.sample_runs(p, spec(), n_runs, seed=1)
    t0 = time.perf_counter()
    fast = ua.run_scores(p, runs)
    t_fast = (time.perf_counter() - t0) / n_runs
    t0 = time.perf_counter()
    slow = ua.replay_scores(p, runs[:n_base])
    t_slow = (time.perf_counter() - t0) / n_base
    diff = float(np.nanmax(np.abs(fast.iloc[:, :n_base].to_numpy() - slow.to_numpy())))
    assert diff <= 1e-9, f"vectorised scores differ from replay by {diff}"
    print(f"{name}: {n_runs} runs vectorised {t_fast * 1e3:.3f} ms/run "
          f"(total {t_fast * n_runs:.2f} s); baseline replay {t_slow * 1e3:.1f} ms/run "
          f"({n_base} runs); speed-up x{t_slow / t_fast:.0f}; max |diff| vs replay {diff:.1e}")


def synthetic(n_units: int = 500, n_ind: int = 100, seed: int = 0) -> Pipeline:
    """Random lognormal data (synthetic), 10 pillars of 10 indicators, 2 sub-indices."""
    rng = np.random.default_rng(seed)
    codes = [f"I{i:03d}" for i in range(n_ind)]
    data = pd.DataFrame(rng.lognormal(0, 1, (n_units, n_ind)), columns=codes)
    data.insert(0, "uCode", [f"U{i:04d}" for i in range(n_units)])
    rows = [{"iCode": c, "Level": 1, "Parent": f"P{i // 10}", "Direction": 1, "Weight": 1,
             "Type": "Indicator"} for i, c in enumerate(codes)]
    rows += [{"iCode": f"P{j}", "Level": 2, "Parent": f"S{j // 5}", "Direction": 1,
              "Weight": 1, "Type": "Aggregate"} for j in range(n_ind // 10)]
    rows += [{"iCode": f"S{k}", "Level": 3, "Parent": "Index", "Direction": 1, "Weight": 1,
              "Type": "Aggregate"} for k in range(2)]
    rows += [{"iCode": "Index", "Level": 4, "Parent": None, "Direction": 1, "Weight": 1,
              "Type": "Aggregate"}]
    return build(Pipeline(data, pd.DataFrame(rows)), denominate=False)


def main() -> None:
    quick = "--quick" in sys.argv
    warnings.simplefilter("ignore")
    print(f"machine: {os.cpu_count()} cores visible (team box: 2 cores shared)")
    p = build(pipeline_from_files(ASEM / "ASEM_iData.csv", ASEM / "ASEM_iMeta.csv"))
    bench("ASEM 51 units x 49 indicators", p, 1000, 10 if quick else 40)
    s = synthetic()
    bench("synthetic 500 units x 100 indicators", s, 1000 if quick else 10000,
          3 if quick else 10)


if __name__ == "__main__":
    main()
