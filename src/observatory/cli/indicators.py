"""``observatory indicators``: list, compute, explain, drill down, import statistics.

Commands only parse, call the functions of :mod:`observatory.indicators` and format. The
region and years default to the deployment settings' home region and year span.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pandas as pd
import typer
from rich.console import Console
from sqlalchemy import Engine

from observatory.cli.output import (
    Column,
    Kind,
    OutputFormat,
    choice,
    emit,
    fail,
    frame_rows,
    infer_columns,
    settings,
    write_text,
)
from observatory.indicators.as_of import PeriodCheck, check_periods, data_as_of, refuse_beyond
from observatory.indicators.catalogue import CatalogueError, load_catalogue
from observatory.indicators.engine import IndicatorError, compute, explain, records
from observatory.indicators.export import to_csv_with_metadata, to_sdmx_csv
from observatory.indicators.periods import PeriodError, Window, parse_period
from observatory.indicators.stats import import_province_stats
from observatory.registry.cells import neutralise
from observatory.registry.errors import ImportFailed
from observatory.registry.parquet import LakeError
from observatory.spark import SparkJobFailed, SparkUnavailable

app = typer.Typer(help="Indicator catalogue: list, compute, explain, drill down.",
                  no_args_is_help=True)
COMPUTE_FORMATS = ("table", "csv", "json", "sdmx-csv")
DB_HELP = "Database URL (default: OBSERVATORY_DATABASE_URL or the SQLite file under HOME)."
LIST_COLUMNS = [Column(k) for k in ("code", "name_en", "name_zh", "unit", "kind", "nature",
                                    "direction", "domain", "key")]


def parse_periods(text: str) -> list[int]:
    """``2019:2025`` (inclusive), ``2024`` or ``2019,2021,2024``: whole years only."""
    years, window = _period(text)
    if not window.full_year:
        fail(f"{text!r}: this command takes whole years", f"{text!r}：此命令只接受整年")
    return years


def _bad_input(exc: Exception) -> NoReturn:
    """Exit 2 with a message that is already "English / 中文"."""
    en, _, zh = str(exc).strip("'\"").partition(" / ")
    fail(en, zh or en)


def _period(text: str) -> tuple[list[int], Window]:
    try:
        return parse_period(text)
    except PeriodError as exc:
        _bad_input(exc)


def _within_data(engine: Engine, years: list[int], window: Window) -> PeriodCheck:
    """Refuse periods after the data's as-of date (exit 2); say which are provisional."""
    as_of = settings().data_as_of or data_as_of(engine)
    check = check_periods(years, window, as_of)
    try:
        refuse_beyond(check, window)
    except IndicatorError as exc:
        _bad_input(exc)
    return check


def _year_to_date(engine: Engine, year_text: str) -> str:
    """``2026-YTD``: from 1 January to the data's as-of day (the whole year once it is past)."""
    as_of = settings().data_as_of or data_as_of(engine)
    if not year_text.isdigit() or as_of is None or int(year_text) > as_of.year:
        fail(f"{year_text}-YTD: the data runs to {as_of}", f"{year_text}-YTD：数据截至 {as_of}")
    if int(year_text) < as_of.year:
        return year_text
    return f"{year_text}-{as_of.month:02d}-{as_of.day:02d}"


def _labelled(frame: pd.DataFrame, window: Window, check: PeriodCheck) -> pd.DataFrame:
    """Periods as they read (``2026-Q3``) and a provisional flag where the data stops."""
    if not window.full_year:
        frame = frame.assign(period=[window.label(int(p)) for p in frame["period"]])
    if check.provisional:
        labels = {window.label(y) if not window.full_year else y for y in check.provisional}
        frame = frame.assign(provisional=frame["period"].isin(labels))
    return frame


def _engine(database_url: str | None) -> Engine:
    from observatory.db import make_engine

    return make_engine(database_url)


def _refuse(exc: Exception) -> NoReturn:
    """An engine's refusal (its message is bilingual already), exit code 1."""
    message = str(exc).strip("'\"")
    fail(message, message, code=1)


def result_columns(frame: pd.DataFrame) -> list[Column]:
    """The tidy result's columns: the value in its unit, breakdowns as text."""
    special = {"value": Column("value", Kind.amount, unit_key="unit"),
               "n_records": Column("n_records", Kind.integer)}
    return [special.get(str(c), Column(str(c))) for c in frame.columns]


@app.command("list")
def list_cmd(domain: str | None = typer.Option(None, help="Only this domain."),
             fmt: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                              help="table, csv or json")) -> None:
    """The catalogue: code, names, unit, kind, direction."""
    try:
        cat = load_catalogue()
    except CatalogueError as exc:
        _refuse(exc)
    rows = [{"code": c, "name_en": i.name_en, "name_zh": i.name_zh, "unit": i.unit,
             "kind": i.kind, "nature": i.nature, "direction": i.direction, "domain": i.domain,
             "key": i.key} for c, i in cat.indicators.items()
            if domain is None or i.domain == domain]
    emit(rows, fmt, LIST_COLUMNS, title=f"{len(rows)} indicators / 指标")


@app.command("compute")
def compute_cmd(
    indicator: list[str] = typer.Option(None, "--indicator", "-i", help="Code (repeatable); "
                                        "default: the whole catalogue."),
    period: str = typer.Option(None, "--period", help="YYYY, YYYY:YYYY, YYYY,YYYY, YYYY-Q3, "
                               "YYYY-H1, YYYY-09 (a month), YYYY-09-30 or YYYY-YTD (year to "
                               "date) (default: the settings' years)."),
    region: list[str] = typer.Option(None, "--region", "-r",
                                     help="GB/T 2260 code (default: the settings' region)."),
    by: list[str] = typer.Option(None, "--by", help="region, industry, field, "
                                 "designation_type, lp_type, contract_type... (repeatable)"),
    backend: str | None = typer.Option(None, "--backend", help="sqlite, postgres, duckdb or "
                                       "spark (default: the database's own engine)"),
    lake: Path | None = typer.Option(None, "--lake", help="spark: a Parquet folder `export "
                                     "--format parquet` wrote (default: a temporary export of "
                                     "the tables needed)."),
    fmt: str = typer.Option("table", "--format", help="table, csv, json or sdmx-csv"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
    database_url: str | None = typer.Option(None, "--database-url", help=DB_HELP),
) -> None:
    """Compute indicators for regions and years."""
    deployment = settings()
    span = f"{deployment.first_year}:{deployment.last_year}"
    engine = _engine(database_url)
    if period and period.strip().upper().endswith("-YTD"):
        period = _year_to_date(engine, period.strip()[:-4])
    periods, window = _period(period or span)
    regions = list(region or [deployment.region])
    choice(fmt, COMPUTE_FORMATS, "--format")
    check = _within_data(engine, periods, window)
    try:
        frame = compute(engine, indicator or None, periods,
                        regions if len(regions) > 1 else regions[0], tuple(by or ()), backend,
                        window=window, lake=lake)
    except (IndicatorError, KeyError, CatalogueError) as exc:
        _refuse(exc)
    except (LakeError, SparkUnavailable, SparkJobFailed) as exc:
        _bad_input(exc)
    frame = _labelled(frame, window, check)
    as_of = f"; data as of / 数据截至 {check.as_of.isoformat()}" if check.as_of else ""
    if fmt == "csv":
        write_text(to_csv_with_metadata(frame), output)
    elif fmt == "sdmx-csv":
        write_text(to_sdmx_csv(frame), output)
    else:
        emit(frame_rows(frame), fmt, result_columns(frame),
             title=f"indicators {period or span}{as_of}", output=output)


@app.command("explain")
def explain_cmd(code: str,
                backend: str = typer.Option("sqlite", "--backend",
                                            help="Dialect of the SQL shown."),
                period: str = typer.Option(None, "--period",
                                           help="Years the SQL covers (default: settings)."),
                ) -> None:
    """Print the definition of CODE and the SQL it compiles to."""
    deployment = settings()
    periods = parse_periods(period or f"{deployment.first_year}:{deployment.last_year}")
    try:
        typer.echo(explain(code, periods, backend))
    except (IndicatorError, KeyError) as exc:
        _refuse(exc)


@app.command("records")
def records_cmd(
    code: str,
    region: str = typer.Option(None, "--region", "-r",
                               help="GB/T 2260 code (default: the settings' region)."),
    period: str = typer.Option(None, "--period",
                               help="The figure's period: YYYY, YYYY-Q3, YYYY-09 or YYYY-MM-DD "
                                    "(default: the settings' period)."),
    backend: str | None = typer.Option(None, "--backend"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json"),
    output: Path | None = typer.Option(None, "--output", "-o"),
    limit: int = typer.Option(50, "--limit", help="Rows shown as a table (0 = all)."),
    database_url: str | None = typer.Option(None, "--database-url", help=DB_HELP),
) -> None:
    """The records behind one figure (drill-down)."""
    deployment = settings()
    region = region or deployment.region
    years, window = _period(period or str(deployment.period))
    if len(years) != 1:
        fail(f"{period!r}: one period only", f"{period!r}：只能指定一个统计期")
    try:
        frame = records(_engine(database_url), code, region, years[0], backend, window=window)
    except (IndicatorError, KeyError) as exc:
        _refuse(exc)
    except (SparkUnavailable, SparkJobFailed) as exc:
        _bad_input(exc)
    if fmt is OutputFormat.csv:
        write_text(frame.map(neutralise).to_csv(index=False), output)
        return
    rows = frame_rows(frame)
    shown = rows if fmt is OutputFormat.json or limit == 0 else rows[:limit]
    emit(shown, fmt, infer_columns(rows), output=output,
         title=f"{code} {region} {window.label(years[0])}: {len(frame):,} records / 条记录")


@app.command("import-stats")
def import_stats_cmd(
    path: Path = typer.Argument(..., help="province_year.csv (NBS/MOST provincial statistics)"),
    database_url: str | None = typer.Option(None, "--database-url", help=DB_HELP),
) -> None:
    """Import provincial statistics as observations (one transaction; nothing on error)."""
    try:
        result = import_province_stats(_engine(database_url), path)
    except ImportFailed as exc:
        console = Console(stderr=True, soft_wrap=True)
        for error in exc.errors[:20]:
            console.print(error.describe(), markup=False, highlight=False)
        fail(f"{len(exc.errors)} error(s); nothing imported",
             f"{len(exc.errors)} 处错误，未导入任何数据", code=1)
    for entity, counts in result.as_dict().items():
        typer.echo(f"{entity}: {counts}")


RECONCILE_COLUMNS = [Column("indicator"), Column("computed_as"), Column("region"),
                     Column("period"),
                     Column("published", Kind.amount, unit_key="unit"),
                     Column("computed", Kind.amount, unit_key="unit"),
                     Column("difference", Kind.amount, unit_key="unit"), Column("unit"),
                     Column("qualifier"), Column("source"), Column("status")]


@app.command("reconcile")
def reconcile_cmd(
    region: str = typer.Option(None, "--region", "-r", help="Only this GB/T 2260 code."),
    period: str = typer.Option(None, "--period", help="Only this period (e.g. 2023; default: "
                               "every period of the settings' years)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json"),
    output: Path | None = typer.Option(None, "--output", "-o"),
    database_url: str | None = typer.Option(None, "--database-url", help=DB_HELP),
) -> None:
    """Every published figure beside the value the registry's records give (exit 1 if any
    differs): how a statistics office checks its registry against the official figures."""
    from observatory.services.errors import ServiceError
    from observatory.services.reconcile import reconcile

    deployment = settings()
    try:
        result = reconcile(_engine(database_url), region, period, deployment.years)
    except ServiceError as exc:
        fail(exc.en, exc.zh)
    rows = [r.model_dump() for r in result.rows]
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items() if v)
    emit(rows, fmt, RECONCILE_COLUMNS, output=output,
         title=f"{len(rows)} published figures / 项公布数据: {counts}")
    if result.counts["differs"]:
        raise typer.Exit(1)
