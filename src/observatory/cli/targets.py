"""``observatory progress`` and ``observatory targets``: assess series and plan targets.

Commands only parse, call :mod:`observatory.targets` and format; values read in their
indicator's unit (亿元 / bn yuan for yuan), probabilities and paces as percentages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from observatory.cli.output import (
    FORMAT_HELP,
    Column,
    ExportFormat,
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
    write_text,
    write_workbook,
)
from observatory.targets.plans import PlanStatus, TargetStatus

if TYPE_CHECKING:
    from observatory.services.plans import RegionNames

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
#: Every column of a target row (CSV and the workbook's "targets" sheet).
TARGET_COLUMNS = [
    Column("plan"), Column("target"), Column("name_zh"), Column("name_en"), Column("indicator"),
    Column("region"), Column("method"), Column("status"), Column("current_year"),
    Column("current_value", Kind.amount, "current", unit_key="unit"), Column("target_year"),
    Column("target_value", Kind.amount, "target value", unit_key="unit"), Column("unit"),
    Column("probability", Kind.percent),
    Column("observed_rate", Kind.percent, "observed pace / yr"),
    Column("required_rate", Kind.percent, "required pace / yr"),
]
#: Each district's pace (CSV with --by-district, the workbook's "district pace" sheet).
PACE_COLUMNS = [
    Column("plan"), Column("target"), Column("district", header="district code"),
    Column("name_zh", header="区（市）"), Column("name_en", header="district"),
    Column("current_year"), Column("current_value", Kind.amount, "current", unit_key="unit"),
    Column("target_value", Kind.amount, "district goal", unit_key="unit"), Column("unit"),
    Column("observed_rate", Kind.percent, "observed pace / yr"),
    Column("required_rate", Kind.percent, "required pace / yr"),
    Column("acceleration", Kind.percent, "acceleration needed"), Column("met"),
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
    fmt: ExportFormat = typer.Option(
        ExportFormat.table, "--format",
        help="table (targets, then each district's pace), csv (one row per target, or per "
             "district with --by-district), json (plans) or xlsx (both tables; needs --out)"),
    by_district: bool = typer.Option(False, "--by-district",
                                     help="csv: one row per target and district."),
    out: Path | None = typer.Option(None, "--out", help="Write to this file."),
    database_url: str = typer.Option(None, help="Database URL (default: settings)."),
) -> None:
    """Assess the plans in the database from the indicator engine, statuses with their method,
    and the yearly pace each district needs (districts by name)."""
    from sqlalchemy.orm import Session

    from observatory.db import make_engine
    from observatory.services.plans import region_names
    from observatory.targets.plans import plan_statuses, registry_providers

    engine = make_engine(database_url)
    series_for, districts_for = registry_providers(engine, settings().years)
    try:
        with Session(engine) as session:
            plans = plan_statuses(session, series_for, plan=plan, method=method,
                                  assessment_year=assessment_year, districts_for=districts_for)
    except (LookupError, ValueError) as exc:
        fail(str(exc), str(exc))
    names, units = region_names(engine), _units()
    if fmt is ExportFormat.json:
        write_text(json_text([_plan_json(p, names) for p in plans]) + "\n", out)
        return
    rows = {p.code: [_target_row(t, p.code, units) for t in p.targets] for p in plans}
    paces = [r for p in plans for t in p.targets for r in _pace_rows(t, p.code, units, names)]
    every = [r for plan_rows in rows.values() for r in plan_rows]
    if fmt is ExportFormat.xlsx:
        write_workbook([("targets", every, TARGET_COLUMNS), ("district pace", paces,
                                                             PACE_COLUMNS)], out)
    elif fmt is ExportFormat.csv:
        emit(paces if by_district else every, fmt,
             PACE_COLUMNS if by_district else TARGET_COLUMNS, output=out)
    else:
        _print_status(plans, rows, paces, out)


def _print_status(plans: list[PlanStatus], rows: Mapping[str, list[dict[str, object]]],
                  paces: list[dict[str, object]], out: Path | None) -> None:
    """Each plan's targets as a table, its summary, then each district's pace per target."""
    lang = language()
    handle = out.open("w", encoding="utf-8") if out is not None else None
    console = Console(soft_wrap=True, file=handle)
    try:
        for p in plans:
            print_table(table_of(rows[p.code], STATUS_COLUMNS,
                                 f"{p.code} {p.name_en} / {p.name_zh}", lang), console)
            console.print(f"summary: {p.summary.counts}; lagging: {', '.join(p.summary.lagging)}",
                          markup=False, highlight=False)
            for t in p.targets:
                mine = [r for r in paces if r["plan"] == p.code and r["target"] == t.code]
                if mine:
                    print_table(table_of(mine, _pace_table(lang), f"{t.code}: district pace / "
                                         f"各区（市）所需增速", lang), console)
    finally:
        if handle is not None:
            handle.close()


def _pace_table(lang: str) -> list[Column]:
    """The district pace as a table shows it: the district's name in the reader's language."""
    name = Column("name_zh" if lang == "zh" else "name_en", header="district / 区（市）")
    return [name, *(c for c in PACE_COLUMNS[5:] if c.key not in ("unit", "met"))]


def _plan_json(plan: PlanStatus, names: RegionNames) -> dict[str, object]:
    """A plan as JSON, each district's pace with the district's names."""
    data = plan.as_dict()
    for target in data.get("targets", []):
        for rec in target.get("pace_by_district") or []:
            zh, en = names.get(str(rec.get("region")), (None, None))
            rec["name_zh"], rec["name_en"] = zh, en
    return data


def _pace_rows(target: TargetStatus, plan: str, units: Mapping[str, str],
               names: RegionNames) -> list[dict[str, object]]:
    """One row per district: its latest value, its goal, observed and required growth."""
    frame = target.pace_by_district
    if frame is None or frame.empty:
        return []
    unit = units.get(target.indicator or "")
    out = []
    for rec in frame_rows(frame):
        zh, en = names.get(str(rec["region"]), (None, None))
        out.append({"plan": plan, "target": target.code, "district": rec["region"],
                    "name_zh": zh, "name_en": en, "unit": unit, **{
                        k: rec.get(k) for k in ("current_year", "current_value", "target_value",
                                                "observed_rate", "required_rate",
                                                "acceleration", "met")}})
    return out


def _target_row(target: TargetStatus, plan: str, units: Mapping[str, str]
                ) -> dict[str, object]:
    """One target as a row: values in their indicator's unit, the pace it needs."""
    a, pace = target.assessment, target.pace
    return {"plan": plan,
            "target": target.code + (" (illustrative)" if target.illustrative else ""),
            "name_zh": target.name_zh, "name_en": target.name_en,
            "indicator": target.indicator, "region": target.region,
            "method": a.method, "status": a.status, "current_year": a.current_year,
            "current_value": a.current_value, "target_year": a.target_year,
            "target_value": a.target_value, "unit": units.get(target.indicator or ""),
            "probability": a.probability,
            "observed_rate": None if pace is None else pace.observed_rate,
            "required_rate": None if pace is None else pace.required_rate}


def _units() -> dict[str, str]:
    """Each indicator's unit, for the values of the targets that name it."""
    from observatory.indicators import load_catalogue

    return {code: ind.unit for code, ind in load_catalogue().indicators.items()}
