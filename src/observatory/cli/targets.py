"""``observatory progress`` and ``observatory targets``: assess series and plan targets.

Commands only parse, call :mod:`observatory.targets` and format; values read in their
indicator's unit (亿元 / bn yuan for yuan), probabilities and paces as percentages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from observatory.cli.output import (
    FORMAT_HELP,
    Column,
    Kind,
    OutputFormat,
    emit,
    fail,
    frame_rows,
    infer_columns,
    json_text,
    language,
    print_table,
    settings,
    table_of,
)
from observatory.targets.plans import TargetStatus

progress_app = typer.Typer(help="Assess progress of series against targets.", no_args_is_help=True)
targets_app = typer.Typer(help="Plan targets in the database.", no_args_is_help=True)
PERCENT_KEYS = ("probability",)
STATUS_COLUMNS = [
    Column("target"), Column("method"), Column("status"),
    Column("current_value", Kind.amount, "current", unit_key="unit"),
    Column("target_value", Kind.amount, "target", unit_key="unit"),
    Column("unit"), Column("probability", Kind.percent),
    Column("required_rate", Kind.percent, "required pace / yr"),
]


class Method(StrEnum):
    opensdg = "opensdg"
    weather = "weather"
    forecast = "forecast"


@progress_app.command("assess")
def assess_command(
    series: Path = typer.Argument(..., help="SERIES.csv: series_id, year, value"),
    targets: Path = typer.Argument(
        ..., help="TARGETS.csv: series_id, direction, base_year, target_year, target_value, limit"
    ),
    method: Method = typer.Option(Method.opensdg, "--method", help="Progress method."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
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
    rows = frame_rows(assess_frame(series_df, targets_df, method.value, seed=seed))
    columns = [replace(c, kind=Kind.percent) if c.key in PERCENT_KEYS else c
               for c in infer_columns(rows)]
    emit(rows, fmt, columns, title=f"Progress ({method.value})")


@targets_app.command("status")
def targets_status(
    plan: str = typer.Option(None, "--plan", help="Plan code (default: every plan)."),
    method: str = typer.Option(None, "--method",
                               help="opensdg, weather or forecast (default: each target's own)."),
    assessment_year: int = typer.Option(None, "--as-of", help="Use data up to this year only."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                     help="table, csv (one row per target) or json (plans)"),
    database_url: str = typer.Option(None, help="Database URL (default: settings)."),
) -> None:
    """Assess the plans in the database from the indicator engine, statuses with their method."""
    from sqlalchemy.orm import Session

    from observatory.db import make_engine
    from observatory.targets.plans import plan_statuses, registry_providers

    engine = make_engine(database_url)
    series_for, districts_for = registry_providers(engine, settings().years)
    try:
        with Session(engine) as session:
            plans = plan_statuses(session, series_for, plan=plan, method=method,
                                  assessment_year=assessment_year, districts_for=districts_for)
    except (LookupError, ValueError) as exc:
        fail(str(exc), str(exc))
    if fmt is OutputFormat.json:
        typer.echo(json_text([p.as_dict() for p in plans]))
        return
    units = _units()
    rows = {p.code: [_target_row(t, p.code, units) for t in p.targets] for p in plans}
    if fmt is OutputFormat.csv:
        emit([r for plan_rows in rows.values() for r in plan_rows], fmt,
             [Column("plan"), *STATUS_COLUMNS])
        return
    console, lang = Console(soft_wrap=True), language()
    for p in plans:
        print_table(table_of(rows[p.code], STATUS_COLUMNS,
                             f"{p.code} {p.name_en} / {p.name_zh}", lang), console)
        console.print(f"summary: {p.summary.counts}; lagging: {', '.join(p.summary.lagging)}",
                      markup=False, highlight=False)


def _target_row(target: TargetStatus, plan: str, units: Mapping[str, str]
                ) -> dict[str, object]:
    """One target as a row: values in their indicator's unit, the pace it needs."""
    a, pace = target.assessment, target.pace
    return {"plan": plan,
            "target": target.code + (" (illustrative)" if target.illustrative else ""),
            "method": a.method, "status": a.status, "current_value": a.current_value,
            "target_value": a.target_value, "unit": units.get(target.indicator or ""),
            "probability": a.probability,
            "required_rate": None if pace is None else pace.required_rate}


def _units() -> dict[str, str]:
    """Each indicator's unit, for the values of the targets that name it."""
    from observatory.indicators import load_catalogue

    return {code: ind.unit for code, ind in load_catalogue().indicators.items()}
