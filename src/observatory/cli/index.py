"""``observatory index``: build composite indices, their uncertainty, the district index."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer

from observatory.cli.output import (
    FORMAT_HELP,
    Column,
    Kind,
    OutputFormat,
    emit,
    fail,
    frame_rows,
    json_text,
    settings,
)
from observatory.index.meta import IndexInputError
from observatory.index.outputs import build_to_folder, uncertainty_to_folder
from observatory.registry.cells import neutralise

app = typer.Typer(
    help="Composite indices: build, uncertainty and sensitivity.", no_args_is_help=True
)


def _refuse(e: IndexInputError) -> NoReturn:
    text = str(e)
    fail(text, text)


@app.command()
def build(
    data: Path = typer.Option(..., "--data", help="iData CSV (COINr columns)"),
    meta: Path = typer.Option(..., "--meta", help="iMeta CSV (COINr columns)"),
    spec: Path | None = typer.Option(None, "--spec", help="YAML build spec"),
    out: Path = typer.Option(..., "--out", help="output folder"),
) -> None:
    """Build an index: scores and ranks at every level, every data set, the log."""
    try:
        units = build_to_folder(data, meta, spec, out)
    except IndexInputError as e:
        _refuse(e)
    typer.echo(f"built {units} units; wrote {out}")


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
        done = uncertainty_to_folder(data, meta, spec, out, runs, seed)
    except IndexInputError as e:
        _refuse(e)
    typer.echo(f"{done.runs} runs (seed {done.seed}); wrote {out}")


@app.command("district")
def district(
    runs: int | None = typer.Option(None, help="Monte Carlo runs for the rank intervals (0 = "
                                    "none; default: the index structure's, as on the web)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help="Database URL (default: settings)."),
) -> None:
    """The district innovation index of the home region, with its uncertainty intervals."""
    from observatory.db import make_engine
    from observatory.services.district_index import district_index

    deployment = settings()
    result = district_index(make_engine(database_url), runs=runs, region=deployment.region,
                            year=deployment.period)
    s = result.structure
    if fmt is OutputFormat.json:
        typer.echo(json_text({"code": s.code, "name_en": s.name_en, "name_zh": s.name_zh,
                              "year": s.year, "runs": result.runs,
                              "districts": result.as_records()}))
        return
    if fmt is OutputFormat.csv:
        typer.echo(result.results.map(neutralise).to_csv(), nl=False)
        return
    frame = result.results.reset_index()
    columns = [Column("rank", Kind.integer), Column("region"), Column("name_en"),
               Column("name_zh"), Column("score", Kind.decimal, digits=1),
               *[Column(p.code, Kind.decimal, digits=1) for p in s.pillars],
               Column("rank_q5", Kind.integer, "rank 5 %"),
               Column("rank_q95", Kind.integer, "rank 95 %")]
    emit(frame_rows(frame), fmt, [c for c in columns if c.key in frame.columns],
         title=f"{s.name_en} / {s.name_zh}, {s.year}")
