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


@targets_app.command("status")
def targets_status(
    plan: str = typer.Option(None, "--plan", help="Plan code (default: every plan)."),
    method: str = typer.Option(None, "--method",
                               help="opensdg, weather or forecast (default: each target's own)."),
    assessment_year: int = typer.Option(None, "--as-of", help="Use data up to this year only."),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    database_url: str = typer.Option(None, help="Database URL (default: settings)."),
) -> None:
    """Assess the plans in the database from the indicator engine, statuses with their method."""
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy.orm import Session

    from observatory.db import make_engine
    from observatory.targets.plans import plan_statuses, registry_providers

    if fmt not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--format")
    engine = make_engine(database_url)
    series_for, districts_for = registry_providers(engine)
    try:
        with Session(engine) as session:
            plans = plan_statuses(session, series_for, plan=plan, method=method,
                                  assessment_year=assessment_year, districts_for=districts_for)
    except (LookupError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if fmt == "json":
        typer.echo(json.dumps([p.as_dict() for p in plans], ensure_ascii=False, default=str,
                              indent=1))
        return
    console = Console()
    for p in plans:
        table = Table("target", "method", "status", "current", "target", "probability",
                      "required pace", title=f"{p.code} {p.name_en} / {p.name_zh}")
        for t in p.targets:
            a = t.assessment

            def num(x: float | None) -> str:
                return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.4g}"

            pace = "" if t.pace is None or t.pace.required_rate is None else \
                f"{t.pace.required_rate:+.1%}/yr"
            table.add_row(f"{t.code}{' (illustrative)' if t.illustrative else ''}", a.method,
                          a.status, num(a.current_value), num(a.target_value),
                          num(a.probability), pace)
        console.print(table)
        console.print(f"summary: {p.summary.counts}; lagging: {', '.join(p.summary.lagging)}")
