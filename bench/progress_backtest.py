"""Back-test of the progress forecast intervals on the shared official series.

Hides the last five years of every distinct series with at least ten points, forecasts them
and reports how often the nominal 80 % interval (p10-p90) holds the held-back value, for the
calibrated model (parameter uncertainty + small-sample inflation) and for the naive baseline
(random walk with drift, estimates plugged in), both run here in the same process.

Usage: python bench/progress_backtest.py [--paths 2000] [--shared ../shared]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from observatory.targets.backtest import backtest, load_validation_series


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_shared = Path(__file__).resolve().parents[2] / "shared"
    parser.add_argument("--shared", type=Path, default=default_shared)
    parser.add_argument("--paths", type=int, default=2000)
    args = parser.parse_args()
    series = load_validation_series(str(args.shared / "progress_validation"))
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


if __name__ == "__main__":
    main()
