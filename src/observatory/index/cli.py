"""CLI for this area: parse, call, format."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml

from .coinr_io import pipeline_from_files
from .meta import IndexInputError
from .spec import apply_spec, load_spec, uncertainty_spec
from .uncertainty import rank_stats, run_scores, sample_runs

app = typer.Typer(
    help="Composite indices: build, uncertainty and sensitivity.", no_args_is_help=True
)


def _fail(e: IndexInputError) -> None:
    typer.echo(f"error: {e}", err=True)
    raise typer.Exit(code=2)


@app.command()
def build(
    data: Path = typer.Option(..., "--data", help="iData CSV (COINr columns)"),
    meta: Path = typer.Option(..., "--meta", help="iMeta CSV (COINr columns)"),
    spec: Path | None = typer.Option(None, "--spec", help="YAML build spec"),
    out: Path = typer.Option(..., "--out", help="output folder"),
) -> None:
    """Build an index: scores and ranks at every level, every data set, the log."""
    try:
        s = load_spec(spec) if spec else None
        p = apply_spec(pipeline_from_files(data, meta), s)
    except IndexInputError as e:
        _fail(e)
    out.mkdir(parents=True, exist_ok=True)
    p.results().to_csv(out / "results.csv")
    for name, df in p.dsets.items():
        df.to_csv(out / f"data_{name}.csv")
    for name, a in p.analysis.items():
        for key, df in a.items():
            if hasattr(df, "to_csv"):
                df.to_csv(out / f"analysis_{name}_{key}.csv")
    (out / "log.yaml").write_text(
        yaml.safe_dump([{s.name: s.params} for s in p.log], sort_keys=False), encoding="utf-8")
    typer.echo(f"built {len(p.get(p.log[-1].params['write_to']))} units; wrote {out}")


@app.command()
def uncertainty(
    data: Path = typer.Option(..., "--data"),
    meta: Path = typer.Option(..., "--meta"),
    spec: Path = typer.Option(..., "--spec", help="YAML spec with an uncertainty section"),
    out: Path = typer.Option(..., "--out"),
    runs: int | None = typer.Option(None, "--runs", help="number of Monte Carlo runs"),
    seed: int | None = typer.Option(None, "--seed"),
) -> None:
    """Monte Carlo uncertainty: nominal, median and 5-95 % ranks; every run's parameters."""
    try:
        s = load_spec(spec)
        p = apply_spec(pipeline_from_files(data, meta), s)
        us = uncertainty_spec(s)
    except IndexInputError as e:
        _fail(e)
    n = runs or s.uncertainty.runs
    sd = s.uncertainty.seed if seed is None else seed
    rs = sample_runs(p, us, n, seed=sd)
    scores = run_scores(p, rs)
    top = p.meta.codes(p.meta.n_levels)[0]
    out.mkdir(parents=True, exist_ok=True)
    scores.to_csv(out / "scores.csv")
    rank_stats(scores, p.get(p.log[-1].params["write_to"])[top]).to_csv(out / "rank_stats.csv")
    (out / "runs.json").write_text(json.dumps({"seed": sd, "runs": rs}), encoding="utf-8")
    typer.echo(f"{n} runs (seed {sd}); wrote {out}")


@app.command("district")
def district(
    runs: int = typer.Option(500, help="Monte Carlo runs for the rank intervals (0 = none)."),
    fmt: str = typer.Option("table", "--format", help="table, csv or json"),
    database_url: str = typer.Option(None, help="Database URL (default: settings)."),
) -> None:
    """The example city's district innovation index with its uncertainty intervals."""
    import json as _json

    from rich.console import Console
    from rich.table import Table

    from observatory.db import make_engine
    from observatory.index.district import district_index

    if fmt not in ("table", "csv", "json"):
        raise typer.BadParameter("use table, csv or json", param_hint="--format")
    result = district_index(make_engine(database_url), runs=runs)
    if fmt == "json":
        typer.echo(_json.dumps({"code": result.structure.code,
                                "name_en": result.structure.name_en,
                                "name_zh": result.structure.name_zh,
                                "year": result.structure.year, "runs": runs,
                                "districts": result.as_records()}, ensure_ascii=False))
        return
    if fmt == "csv":
        typer.echo(result.results.to_csv(), nl=False)
        return
    s = result.structure
    table = Table("rank", "district", "score", *[p.code for p in s.pillars],
                  "5-95 % rank interval", title=f"{s.name_en} / {s.name_zh}, {s.year}")
    for region, row in result.results.iterrows():
        interval = "" if "rank_q5" not in row else f"{row['rank_q5']:.0f}-{row['rank_q95']:.0f}"
        table.add_row(f"{row['rank']:.0f}", f"{row['name_en']} {row['name_zh']} ({region})",
                      f"{row['score']:.1f}", *[f"{row[p.code]:.1f}" for p in s.pillars],
                      interval)
    Console().print(table)
