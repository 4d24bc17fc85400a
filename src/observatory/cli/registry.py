"""Registry commands: version, init, import, export."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from observatory.cli.output import FORMAT_HELP, Column, Kind, OutputFormat, emit, fail
from observatory.cli.progress import ProgressBar, rich_progress
from observatory.db import make_engine
from observatory.registry.entities import SPECS
from observatory.registry.errors import ImportFailed, errors_to_csv
from observatory.version import __version__

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
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate only; write nothing."),
    encoding: str = typer.Option(None, help="Force a text encoding (e.g. gbk)."),
    errors_out: Path = typer.Option(None, "--errors-out", help="Write errors as CSV here."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
    resolve_names: bool = typer.Option(
        False, "--resolve-names", help="Find each row's firm by its name (a published list): "
        "sure rows are imported, the rest queued for `observatory review`."),
) -> None:
    """Import a file or bundle: all rows valid and written in one transaction, or nothing."""
    from observatory.registry.importer import import_path

    engine = make_engine(database_url)
    if resolve_names:
        _import_resolving(engine, path, entity, dry_run, encoding, errors_out, fmt)
        return
    try:
        with rich_progress() as progress:
            result = import_path(engine, path, entity, dry_run=dry_run, encoding=encoding,
                                 progress=ProgressBar(progress))
    except ImportFailed as failed:
        _report_failure(failed, errors_out)
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


def _report_failure(failed: ImportFailed, errors_out: Path | None) -> None:
    console = Console(stderr=True, soft_wrap=True)
    console.print(f"[red]import failed: {len(failed.errors)} error(s); nothing written "
                  f"/ 导入失败：{len(failed.errors)} 处错误，未写入任何数据[/red]")
    for error in failed.errors[:ERRORS_SHOWN]:
        console.print("  " + error.describe(), markup=False, highlight=False)
    if len(failed.errors) > ERRORS_SHOWN:
        console.print(f"  ... and {len(failed.errors) - ERRORS_SHOWN} more")
    if errors_out is not None:
        errors_to_csv(failed.errors, errors_out)
        console.print(f"error report written to {errors_out}")
    raise typer.Exit(2)


def export(
    entity: str = typer.Option(None, "--entity", help=f"One of: {', '.join(SPECS)}"),
    fmt: str = typer.Option("csv", "--format", help="csv, xlsx, json or parquet"),
    out: Path = typer.Option(None, "--out", help="File (one entity) or folder (all entities)."),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Export one entity (to a file or stdout) or, without --entity, a whole bundle; with
    ``--format parquet``, every registry table (or the one --entity names) into --out DIR."""
    from observatory.registry.exporter import FORMATS, export_bundle, export_entity

    if fmt == "parquet":
        export_lake(entity, out, database_url)
        return
    if fmt not in FORMATS:
        fail(f"--format {fmt!r}: use one of {', '.join(FORMATS)}",
             f"--format {fmt!r}：只能取 {'、'.join(FORMATS)}")
    if entity is not None and entity not in SPECS:
        fail(f"--entity {entity!r}: unknown entity; use one of {', '.join(SPECS)}",
             f"--entity {entity!r}：未知的实体，只能取 {'、'.join(SPECS)}")
    if entity is None and out is None:
        fail("a bundle export needs --out DIR", "导出全部实体需要 --out 目录")
    if entity is not None and out is None and fmt == "xlsx":
        fail("xlsx needs --out FILE", "xlsx 格式需要 --out 文件")
    with Session(make_engine(database_url)) as session:
        if entity is None:
            paths = export_bundle(session, out, fmt)
            typer.echo(json.dumps({"written": [str(p) for p in paths]}))
            return
        data = export_entity(session, entity, fmt)
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
