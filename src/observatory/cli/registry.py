"""Registry commands: version, init, import, export."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from observatory.cli.output import (
    FORMAT_HELP,
    Column,
    Kind,
    OutputFormat,
    emit,
    fail,
    settings,
)
from observatory.cli.progress import ProgressBar, rich_progress
from observatory.db import make_engine
from observatory.registry.entities import SPECS
from observatory.registry.errors import ImportFailed, RowError, errors_to_csv
from observatory.version import __version__

if TYPE_CHECKING:
    from observatory.registry.mapping import SheetMapping

DB_HELP = "Database URL (default: settings)."
#: Errors listed on the terminal; the --errors-out report has all of them.
ERRORS_SHOWN = 200
COUNT_COLUMNS = [Column("entity"), Column("inserted", Kind.integer),
                 Column("updated", Kind.integer), Column("unchanged", Kind.integer)]


def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def init(database_url: str = typer.Option(None, help=DB_HELP)) -> None:
    """Create or migrate the database to the latest schema and load reference data."""
    from observatory.registry.setup import init_database

    engine = make_engine(database_url)
    result = init_database(engine)
    loaded = sum(c.inserted for c in result.counts.values())
    typer.echo(f"database at {engine.url.render_as_string()} is at the latest schema; "
               f"{loaded} reference rows added")


def import_(
    path: Path = typer.Argument(..., help="CSV, XLSX or JSON file, or a folder/ZIP bundle."),
    entity: str = typer.Option(None, "--entity", help=f"One of: {', '.join(SPECS)}"),
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Validate only, print the mapping used; write nothing."),
    encoding: str = typer.Option(None, help="Force a text encoding (e.g. gbk)."),
    sheet: str = typer.Option(None, "--sheet", help="The workbook sheet to read."),
    mapping: Path = typer.Option(None, "--mapping",
                                 help="YAML naming columns the labels do not (docs/import.md)."),
    errors_out: Path = typer.Option(None, "--errors-out", help="Write errors as CSV here."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
    resolve_names: bool = typer.Option(
        False, "--resolve-names", help="Find each row's firm by its name (a published list): "
        "sure rows are imported, the rest queued for `observatory review`."),
) -> None:
    """Import a file or bundle: all rows valid and written in one transaction, or nothing.

    Headers may be the field names or their Chinese labels and synonyms (docs/import.md); a
    workbook's header is found below its title rows, and totals and notes at the end are
    skipped with a warning."""
    from observatory.registry.importer import import_path
    from observatory.registry.mapping import load_mapping
    from observatory.registry.readers import Limits, ReadFailed

    deployment = settings()
    engine = make_engine(database_url)
    if resolve_names:
        _import_resolving(engine, path, entity, dry_run, encoding, errors_out, fmt)
        return
    try:
        rules = load_mapping(mapping) if mapping is not None else None
        with rich_progress() as progress:
            result = import_path(engine, path, entity, dry_run=dry_run, encoding=encoding,
                                 progress=ProgressBar(progress), sheet=sheet, mapping=rules,
                                 limits=Limits.from_settings(deployment),
                                 region=deployment.region)
    except ReadFailed as bad:
        _report_failure(ImportFailed([bad.error]), errors_out)
    except ImportFailed as failed:
        _report_failure(failed, errors_out)
    if dry_run:
        _print_mappings(result.mappings)
    _print_warnings(result.warnings)
    rows = [{"entity": name, "inserted": c.inserted, "updated": c.updated,
             "unchanged": c.unchanged} for name, c in result.counts.items()]
    emit(rows, fmt, COUNT_COLUMNS, title="dry run: nothing written" if dry_run else "imported")


def _import_resolving(engine: Engine, path: Path, entity: str | None, dry_run: bool,
                      encoding: str | None, errors_out: Path | None, fmt: OutputFormat) -> None:
    """A published list: the service resolves names, imports the sure rows, queues the rest."""
    from observatory.services.errors import ServiceError
    from observatory.services.resolution import import_resolving

    try:
        done = import_resolving(engine, path, entity, dry_run=dry_run, encoding=encoding)
    except ImportFailed as failed:
        _report_failure(failed, errors_out)
    except ServiceError as exc:
        fail(exc.en, exc.zh)
    rows = [{"entity": name, **c.model_dump()} for name, c in done.counts.items()]
    emit(rows, fmt, COUNT_COLUMNS, title="dry run: nothing written" if dry_run else "imported")
    Console(stderr=True, soft_wrap=True).print(
        f"names: {done.auto} resolved automatically (imported), {done.queued} queued for "
        f"review, {done.unknown} unknown (queued), {done.already_queued} already queued / "
        f"名称：自动匹配 {done.auto} 条（已导入），待审核 {done.queued} 条，"
        f"未找到 {done.unknown} 条（已加入审核队列），此前已在队列 {done.already_queued} 条",
        markup=False, highlight=False)


def _print_mappings(mappings: list[SheetMapping]) -> None:
    """What ``--dry-run`` shows of each file: header row, column -> field, unmapped columns."""
    console = Console(stderr=True, soft_wrap=True)
    for sheet in mappings:
        where = f"{sheet.file} ({sheet.entity})"
        rows = (f"rows {sheet.header_row}-{sheet.header_row + 1}" if sheet.header_rows == 2
                else f"row {sheet.header_row}")
        if sheet.header_rows:  # a JSON file has keys, not a header row
            console.print(f"{where}: header {rows} / 表头第 {sheet.header_row} 行"
                          + ("起两行" if sheet.header_rows == 2 else ""), markup=False)
        else:
            console.print(where, markup=False)
        for column in sheet.columns:
            if not column.column and column.field is None:
                continue
            target = column.field or "(unmapped / 未映射)"
            unit = f" ×{column.scale}" if column.scale not in (None, 1) else ""
            console.print(f"  {column.letter} {column.column} -> {target}{unit}", markup=False,
                          highlight=False)
        if sheet.unmapped:
            console.print(f"  unmapped / 未映射: {', '.join(sheet.unmapped)}", markup=False,
                          highlight=False)


def _print_warnings(warnings: list[RowError]) -> None:
    console = Console(stderr=True, soft_wrap=True)
    for warning in warnings[:ERRORS_SHOWN]:
        console.print("warning / 提示: " + warning.describe(), markup=False, highlight=False)
    if len(warnings) > ERRORS_SHOWN:
        console.print(f"  ... and {len(warnings) - ERRORS_SHOWN} more")


def _report_failure(failed: ImportFailed, errors_out: Path | None) -> NoReturn:
    console = Console(stderr=True, soft_wrap=True)
    console.print(f"[red]import failed: {failed.total} error(s); nothing written "
                  f"/ 导入失败：{failed.total} 处错误，未写入任何数据[/red]")
    for error in failed.errors[:ERRORS_SHOWN]:
        console.print("  " + error.describe(), markup=False, highlight=False)
    if failed.total > ERRORS_SHOWN:
        console.print(f"  ... and {failed.total - ERRORS_SHOWN} more")
    if errors_out is not None:
        errors_to_csv(failed.errors, errors_out)
        console.print(f"error report written to {errors_out}")
    raise typer.Exit(2)


def export(
    entity: str = typer.Option(None, "--entity", help=f"One of: {', '.join(SPECS)}"),
    fmt: str = typer.Option("csv", "--format", help="csv, xlsx, json or parquet"),
    headers: str = typer.Option("code", "--headers",
                                help="code: field names and codes (re-importable as is); zh: "
                                     "Chinese headers, district and term names."),
    out: Path = typer.Option(None, "--out", help="File (one entity) or folder (all entities)."),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Export one entity (to a file or stdout) or, without --entity, a whole bundle; with
    ``--format parquet``, every registry table (or the one --entity names) into --out DIR."""
    from observatory.registry.exporter import FORMATS, HEADERS, export_bundle, export_entity

    if fmt == "parquet":
        export_lake(entity, out, database_url)
        return
    if fmt not in FORMATS:
        fail(f"--format {fmt!r}: use one of {', '.join(FORMATS)}",
             f"--format {fmt!r}：只能取 {'、'.join(FORMATS)}")
    if headers not in HEADERS:
        fail(f"--headers {headers!r}: use one of {', '.join(HEADERS)}",
             f"--headers {headers!r}：只能取 {'、'.join(HEADERS)}")
    if entity is not None and entity not in SPECS:
        fail(f"--entity {entity!r}: unknown entity; use one of {', '.join(SPECS)}",
             f"--entity {entity!r}：未知的实体，只能取 {'、'.join(SPECS)}")
    if entity is None and out is None:
        fail("a bundle export needs --out DIR", "导出全部实体需要 --out 目录")
    if entity is not None and out is None and fmt == "xlsx":
        fail("xlsx needs --out FILE", "xlsx 格式需要 --out 文件")
    region = settings().region
    with Session(make_engine(database_url)) as session:
        if entity is None:
            paths = export_bundle(session, out, fmt, headers=headers, region=region)
            typer.echo(json.dumps({"written": [str(p) for p in paths]}))
            return
        data = export_entity(session, entity, fmt, headers, region)
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        out.write_bytes(data)


def export_lake(table: str | None, out: Path | None, database_url: str | None) -> None:
    """Registry tables as Parquet for a data lake (``registry.parquet``), with progress."""
    from observatory.cli.progress import rich_progress
    from observatory.registry.parquet import export_parquet, registry_tables

    tables = registry_tables()
    if out is None:
        fail("parquet needs --out DIR", "parquet 格式需要 --out 目录")
    if table is not None and table not in tables:
        fail(f"--entity {table!r}: not a registry table; use one of {', '.join(tables)}",
             f"--entity {table!r}：不是登记库的表，只能取 {'、'.join(tables)}")
    wanted = tables if table is None else [table]
    with rich_progress() as progress:
        task = progress.add_task("parquet", total=len(wanted))
        written = export_parquet(make_engine(database_url), out, wanted,
                                 progress=lambda name, rows: progress.advance(task))
    typer.echo(json.dumps({"written": [{"table": w.table, "path": str(w.path), "rows": w.rows,
                                        "partitioned_by": w.partitioned_by} for w in written]}))


def register(app: typer.Typer) -> None:
    """Attach the registry commands to the top-level app."""
    app.command()(version)
    app.command()(init)
    app.command("import")(import_)
    app.command()(export)
