"""``observatory indicators``: list, compute, explain, drill down, import statistics.

Commands only parse, call the functions of :mod:`observatory.indicators` and format.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from observatory.indicators.catalogue import CatalogueError, load_catalogue
from observatory.indicators.engine import IndicatorError, compute, explain, records
from observatory.indicators.export import to_csv_with_metadata, to_sdmx_csv
from observatory.indicators.stats import import_province_stats
from observatory.registry.errors import ImportFailed

app = typer.Typer(help="Indicator catalogue: list, compute, explain, drill down.",
                  no_args_is_help=True)
console = Console()
FORMATS = ("table", "csv", "json", "sdmx-csv")
DB_HELP = "Database URL (default: OBSERVATORY_DATABASE_URL or the SQLite file under HOME)."


def parse_periods(text: str) -> list[int]:
    """``2019:2025`` (inclusive), ``2024`` or ``2019,2021,2024``."""
    try:
        if ":" in text:
            first, last = (int(p) for p in text.split(":", 1))
            if last < first:
                raise ValueError
            return list(range(first, last + 1))
        return [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise typer.BadParameter(f"{text!r}: use YYYY, YYYY:YYYY or YYYY,YYYY / "
                                 "统计期格式应为 YYYY、YYYY:YYYY 或 YYYY,YYYY") from None


def _engine(database_url: str | None):  # noqa: ANN202 - SQLAlchemy Engine
    from observatory.db import make_engine

    return make_engine(database_url)


def _fail(message: str) -> None:
    console.print(f"[red]{message}[/]")
    raise typer.Exit(1)


def _table(frame: pd.DataFrame, title: str) -> Table:
    out = Table(title=title)
    for column in frame.columns:
        out.add_column(str(column), justify="right" if column in ("value", "n_records") else
                       "left")
    for row in frame.itertuples(index=False):
        out.add_row(*("" if v is None or (isinstance(v, float) and pd.isna(v)) else
                      f"{v:,.6g}" if isinstance(v, float) else str(v) for v in row))
    return out


def _emit(frame: pd.DataFrame, fmt: str, output: Path | None, title: str) -> None:
    if fmt not in FORMATS:
        _fail(f"unknown format {fmt!r}; use {', '.join(FORMATS)} / 未知的输出格式")
    if fmt == "table" and output is None:
        console.print(_table(frame, title))
        return
    if fmt == "csv":
        text = to_csv_with_metadata(frame)
    elif fmt == "sdmx-csv":
        text = to_sdmx_csv(frame)
    elif fmt == "json":
        text = frame.to_json(orient="records", force_ascii=False, indent=1)
    else:
        text = frame.to_csv(index=False)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {len(frame)} rows to {output}")


@app.command("list")
def list_cmd(domain: str | None = typer.Option(None, help="Only this domain."),
             fmt: str = typer.Option("table", "--format", help="table, csv or json")) -> None:
    """The catalogue: code, names, unit, kind, direction."""
    try:
        cat = load_catalogue()
    except CatalogueError as exc:
        _fail(str(exc))
    rows = [{"code": c, "name_en": i.name_en, "name_zh": i.name_zh, "unit": i.unit,
             "kind": i.kind, "nature": i.nature, "direction": i.direction, "domain": i.domain,
             "key": i.key} for c, i in cat.indicators.items()
            if domain is None or i.domain == domain]
    frame = pd.DataFrame(rows)
    if fmt == "table":
        console.print(_table(frame, f"{len(frame)} indicators / 指标"))
    elif fmt == "json":
        typer.echo(frame.to_json(orient="records", force_ascii=False, indent=1))
    else:
        typer.echo(frame.to_csv(index=False), nl=False)


@app.command("compute")
def compute_cmd(
    indicator: list[str] = typer.Option(None, "--indicator", "-i", help="Code (repeatable); "
                                        "default: the whole catalogue."),
    period: str = typer.Option("2019:2025", "--period", help="YYYY, YYYY:YYYY or YYYY,YYYY"),
    region: list[str] = typer.Option(["370200"], "--region", "-r", help="GB/T 2260 code."),
    by: list[str] = typer.Option(None, "--by", help="region, industry, field, "
                                 "designation_type, lp_type, contract_type... (repeatable)"),
    backend: str | None = typer.Option(None, "--backend", help="sqlite, postgres or duckdb"),
    fmt: str = typer.Option("table", "--format", help="table, csv, json or sdmx-csv"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
    database_url: str | None = typer.Option(None, "--database-url", help=DB_HELP),
) -> None:
    """Compute indicators for regions and years."""
    periods = parse_periods(period)
    try:
        frame = compute(_engine(database_url), indicator or None, periods,
                        region if len(region) > 1 else region[0], tuple(by or ()), backend)
    except (IndicatorError, KeyError, CatalogueError) as exc:
        _fail(str(exc).strip("'\""))
    _emit(frame, fmt, output, f"indicators {period}")


@app.command("explain")
def explain_cmd(code: str,
                backend: str = typer.Option("sqlite", "--backend",
                                            help="Dialect of the SQL shown.")) -> None:
    """Print the definition of CODE and the SQL it compiles to."""
    try:
        typer.echo(explain(code, backend))
    except (IndicatorError, KeyError) as exc:
        _fail(str(exc).strip("'\""))


@app.command("records")
def records_cmd(
    code: str,
    region: str = typer.Option("370200", "--region", "-r"),
    period: int = typer.Option(..., "--period", help="The year of the figure."),
    backend: str | None = typer.Option(None, "--backend"),
    fmt: str = typer.Option("table", "--format", help="table, csv or json"),
    output: Path | None = typer.Option(None, "--output", "-o"),
    limit: int = typer.Option(50, "--limit", help="Rows shown as a table (0 = all)."),
    database_url: str | None = typer.Option(None, "--database-url", help=DB_HELP),
) -> None:
    """The records behind one figure (drill-down)."""
    try:
        frame = records(_engine(database_url), code, region, period, backend)
    except (IndicatorError, KeyError) as exc:
        _fail(str(exc).strip("'\""))
    if fmt == "table" and output is None:
        shown = frame if limit == 0 else frame.head(limit)
        console.print(_table(shown, f"{code} {region} {period}: {len(frame)} records / 条记录"))
    elif fmt == "json":
        text = frame.to_json(orient="records", force_ascii=False, indent=1, date_format="iso")
        _write(text, output)
    else:
        _write(frame.to_csv(index=False), output)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@app.command("import-stats")
def import_stats_cmd(
    path: Path = typer.Argument(..., help="province_year.csv (NBS/MOST provincial statistics)"),
    database_url: str | None = typer.Option(None, "--database-url", help=DB_HELP),
) -> None:
    """Import provincial statistics as observations (one transaction; nothing on error)."""
    try:
        result = import_province_stats(_engine(database_url), path)
    except ImportFailed as exc:
        for error in exc.errors[:20]:
            console.print(f"[red]{error.describe()}[/]")
        _fail(f"{len(exc.errors)} error(s); nothing imported / 有错误，未导入任何数据")
    for entity, counts in result.as_dict().items():
        console.print(f"{entity}: {counts}")
