"""CLI for progress assessment and plan targets: parse, call, format."""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path

import typer

progress_app = typer.Typer(help="Assess progress of series against targets.", no_args_is_help=True)
targets_app = typer.Typer(help="Plan targets in the database.", no_args_is_help=True)


class Method(StrEnum):
    opensdg = "opensdg"
    weather = "weather"
    forecast = "forecast"


class Format(StrEnum):
    csv = "csv"
    json = "json"
    table = "table"


def _json_value(v: object) -> object:
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        return v.item()  # numpy scalar
    return v


@progress_app.command("assess")
def assess_command(
    series: Path = typer.Argument(..., help="SERIES.csv: series_id, year, value"),
    targets: Path = typer.Argument(
        ..., help="TARGETS.csv: series_id, direction, base_year, target_year, target_value, limit"
    ),
    method: Method = typer.Option(Method.opensdg, "--method", help="Progress method."),
    fmt: Format = typer.Option(Format.table, "--format", help="Output format."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the forecast simulation."),
) -> None:
    """Assess each target row against its series and print one row per target."""
    from observatory.targets.assess import assess_frame
    from observatory.targets.inputs import InputError, load_inputs

    try:
        series_df, targets_df = load_inputs(series, targets)
    except InputError as exc:
        for issue in exc.issues:
            typer.echo(f"error: {issue}", err=True)
        raise typer.Exit(code=2) from None
    out = assess_frame(series_df, targets_df, method.value, seed=seed)
    if fmt is Format.csv:
        typer.echo(out.to_csv(index=False), nl=False)
    elif fmt is Format.json:
        records = [{k: _json_value(v) for k, v in r.items()} for r in out.to_dict("records")]
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"Progress ({method.value})")
        for col in out.columns:
            table.add_column(col)
        for rec in out.itertuples(index=False):
            cells = []
            for v in rec:
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    cells.append("")
                elif isinstance(v, float):
                    cells.append(f"{v:.4g}")
                else:
                    cells.append(str(v))
            table.add_row(*cells)
        Console(width=200).print(table)
