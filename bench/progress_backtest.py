"""Back-test of the progress forecast intervals on the official series in tests/data.

Hides the last five years of every distinct series with at least ten points, forecasts them
and reports how often the nominal 80 % interval (p10-p90) holds the held-back value, for the
calibrated model (parameter uncertainty + small-sample inflation) and for the naive baseline
(random walk with drift, estimates plugged in), both run here in the same process.

The inflation factors were tuned on those series, so that figure is in-sample. Two honest checks
follow: leave-one-source-out (factors chosen on Canada scored on Germany and vice versa) and a
held-out back-test on the Chinese provincial statistics (never used for tuning), with the naive
model's coverage on the same series as the baseline.

Usage: python bench/progress_backtest.py [--paths 2000] [--data tests/data]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from observatory.targets.backtest import (
    CHINA_FAMILIES,
    backtest,
    china_family,
    leave_one_source_out,
    load_china_series,
    load_validation_series,
    source_of,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = Path(__file__).resolve().parents[1] / "tests" / "data"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--paths", type=int, default=2000)
    args = parser.parse_args()
    series = load_validation_series(str(args.data / "progress_validation"))
    print(f"machine: {os.cpu_count()} logical cores visible (reference machine: 2 cores)")
    print(f"series: {len(series)} distinct, held back: last 5 points, paths: {args.paths}")
    results = {}
    for name, calibrated in (("naive baseline", False), ("calibrated", True)):
        start = time.perf_counter()
        cov = backtest(series, calibrated=calibrated, n_paths=args.paths)
        elapsed = time.perf_counter() - start
        results[name] = (cov, elapsed)
        by_h = ", ".join(f"h{h}={v:.1%}" for h, v in cov.by_horizon.items())
        print(f"{name:15s} coverage of 80 % intervals: {cov.coverage:.1%} "
              f"({cov.n_values} values, {cov.n_series} series; {by_h}); {elapsed:.2f} s")
    for prefix, label in (("CA:", "Canada GIF"), ("DE:", "Germany DNS")):
        part = {k: v for k, v in series.items() if k.startswith(prefix)}
        c = backtest(part, n_paths=args.paths).coverage
        n = backtest(part, calibrated=False, n_paths=args.paths).coverage
        print(f"  {label}: calibrated {c:.1%}, naive {n:.1%}")
    (cal, t_cal), (naive, t_naive) = results["calibrated"], results["naive baseline"]
    print(f"ratio calibrated/naive: coverage {cal.coverage / naive.coverage:.2f}x, "
          f"time {t_cal / t_naive:.2f}x; target band 70-90 %: "
          f"{'inside' if 0.70 <= cal.coverage <= 0.90 else 'OUTSIDE'}")
    print("leave-one-source-out (grid k_sigma 1.0-1.3 x k_d 1.0-2.0, closest to 80 %):")
    start = time.perf_counter()
    folds = leave_one_source_out(series, source_of, n_paths=args.paths)
    hits = values = 0
    for f in folds:
        c = f.coverage
        hits += round(c.coverage * c.n_values)
        values += c.n_values
        print(f"  held out {f.held_out}: chosen k_sigma={f.choice.sigma_inflation}, "
              f"k_d={f.choice.drift_inflation} (train coverage {f.choice.coverage:.1%}); "
              f"out-of-fold {c.coverage:.1%} ({c.n_values} values, {c.n_series} series); "
              f"shipped factors on it {f.shipped.coverage:.1%}")
    print(f"  pooled out-of-fold {hits / values:.1%} ({values} values); "
          f"in-sample {cal.coverage:.1%}; {time.perf_counter() - start:.1f} s")
    china = load_china_series(str(args.data / "china_innovation_stats"))
    cn = {}
    for name, calibrated in (("naive baseline", False), ("calibrated", True)):
        start = time.perf_counter()
        cov = backtest(china, calibrated=calibrated, n_paths=args.paths, group=china_family)
        cn[name] = (cov, time.perf_counter() - start)
    (c_cal, t_ccal), (c_naive, t_cnaive) = cn["calibrated"], cn["naive baseline"]
    print(f"China held out: {len(china)} distinct series, {c_cal.n_series} long enough, "
          f"{c_cal.n_values} values")
    for name, (cov, elapsed) in cn.items():
        by_h = ", ".join(f"h{h}={v:.1%}" for h, v in cov.by_horizon.items())
        print(f"  {name:15s} coverage {cov.coverage:.1%} ({by_h}); {elapsed:.2f} s")
    for prefix, label in CHINA_FAMILIES:
        fam = prefix.rstrip("_")
        if fam not in c_cal.by_group:
            print(f"  {label}: too short to back-test")
            continue
        (cc, n), (cn_, _) = c_cal.by_group[fam], c_naive.by_group[fam]
        print(f"  {label}: calibrated {cc:.1%}, naive {cn_:.1%} ({n} values)")
    print(f"  ratio calibrated/naive: coverage {c_cal.coverage / c_naive.coverage:.2f}x, "
          f"time {t_ccal / t_cnaive:.2f}x")


if __name__ == "__main__":
    main()
