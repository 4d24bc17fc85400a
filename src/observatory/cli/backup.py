"""Backup commands: ``observatory backup --out FILE`` and ``observatory restore FILE``.

Why commands and not export/import: export carries the registry's entities only; a backup
carries every table (accounts, API tokens, sessions, matches and their events, import runs,
the audit log, the schema revision) so a restore gives back the deployment as it was.
"""

from __future__ import annotations

from pathlib import Path

import typer

from observatory.cli.output import FORMAT_HELP, Column, Kind, OutputFormat, emit, fail
from observatory.db import make_engine
from observatory.registry.backup import BackupError, backup_database, describe, restore_database

DB_HELP = "Database URL (default: settings)."
COLUMNS = [Column("table"), Column("rows", Kind.integer)]


def backup(
    out: Path = typer.Option(..., "--out", help="The backup file to write (a ZIP)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Write every table of the database to one file, consistently while the app runs."""
    if out.is_dir():
        fail(f"--out {out}: is a folder; name a file", f"--out {out}：是文件夹，请给出文件名")
    if not out.parent.is_dir():
        fail(f"--out {out}: folder {out.parent} does not exist",
             f"--out {out}：文件夹 {out.parent} 不存在")
    engine = make_engine(database_url)
    try:
        result = backup_database(engine, out)
    except BackupError as exc:
        fail(exc.en, exc.zh)
    finally:
        engine.dispose()
    emit(describe(result), fmt, COLUMNS,
         title=f"backup {result.path}: {result.rows} rows, schema {result.revision}")


def restore(
    path: Path = typer.Argument(..., help="A file written by `observatory backup`."),
    force: bool = typer.Option(False, "--force",
                               help="Replace everything in a database that is not empty."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Load a backup into the database in one transaction (verified first; all or nothing)."""
    engine = make_engine(database_url)
    try:
        result = restore_database(engine, path, force=force)
    except BackupError as exc:
        fail(exc.en, exc.zh)
    finally:
        engine.dispose()
    emit(describe(result), fmt, COLUMNS,
         title=f"restored {result.path}: {result.rows} rows, schema {result.revision}")


def register(app: typer.Typer) -> None:
    """Attach the backup commands to the top-level app."""
    app.command()(backup)
    app.command()(restore)
