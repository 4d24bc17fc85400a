"""Write an index build or its uncertainty analysis to a folder of CSV, YAML and JSON files.

Why files: a built index is read by statisticians in their own tools; every data set, the
analysis tables and the build log go out as they are, with the runs' parameters, so anybody
can re-run exactly what was computed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .coinr_io import pipeline_from_files
from .pipeline import Pipeline
from .spec import apply_spec, load_spec, uncertainty_spec
from .uncertainty import rank_stats, run_scores, sample_runs


def build_to_folder(data: Path, meta: Path, spec: Path | None, out: Path) -> int:
    """Build the index from COINr-style files into ``out``; the number of units scored."""
    p = apply_spec(pipeline_from_files(data, meta), load_spec(spec) if spec else None)
    out.mkdir(parents=True, exist_ok=True)
    p.results().to_csv(out / "results.csv")
    for name, df in p.dsets.items():
        df.to_csv(out / f"data_{name}.csv")
    for name, analysis in p.analysis.items():
        for key, df in analysis.items():
            if hasattr(df, "to_csv"):
                df.to_csv(out / f"analysis_{name}_{key}.csv")
    (out / "log.yaml").write_text(
        yaml.safe_dump([{s.name: s.params} for s in p.log], sort_keys=False), encoding="utf-8")
    return len(_final(p))


@dataclass(frozen=True)
class UncertaintyRun:
    """What an uncertainty analysis ran: how many runs, from which seed."""

    runs: int
    seed: int


def uncertainty_to_folder(data: Path, meta: Path, spec: Path, out: Path,
                          runs: int | None = None, seed: int | None = None) -> UncertaintyRun:
    """Monte Carlo runs of the spec's uncertainty section: scores, rank statistics, the runs."""
    s = load_spec(spec)
    p = apply_spec(pipeline_from_files(data, meta), s)
    us = uncertainty_spec(s)  # refuses a spec without an uncertainty section
    section = s.uncertainty
    assert section is not None
    n = runs or section.runs
    sd = section.seed if seed is None else seed
    sampled = sample_runs(p, us, n, seed=sd)
    scores = run_scores(p, sampled)
    top = p.meta.codes(p.meta.n_levels)[0]
    out.mkdir(parents=True, exist_ok=True)
    scores.to_csv(out / "scores.csv")
    rank_stats(scores, _final(p)[top]).to_csv(out / "rank_stats.csv")
    (out / "runs.json").write_text(json.dumps({"seed": sd, "runs": sampled}), encoding="utf-8")
    return UncertaintyRun(n, sd)


def _final(p: Pipeline) -> pd.DataFrame:
    """The last data set the build wrote (the aggregated scores)."""
    return p.get(p.log[-1].params["write_to"])
