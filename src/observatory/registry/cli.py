"""Registry commands: init, import, export, generate, demo."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from observatory import __version__
from observatory.db import make_engine
from observatory.registry.entities import SPECS
from observatory.registry.errors import ImportFailed, errors_to_csv

console = Console(stderr=True, soft_wrap=True)


class _Bar:
    """Adapts the importer's progress callback to a Rich progress bar."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, int] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        if total < 5000:
            return
        if label not in self.tasks:
            self.tasks[label] = self.progress.add_task(label, total=total)
        self.progress.update(self.tasks[label], completed=min(done, total))


def rich_progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                    TimeElapsedColumn(), console=console, transient=True)


def register(app: typer.Typer) -> None:
    """Attach the registry commands to the top-level app."""

    @app.command()
    def version() -> None:
        """Print the version."""
        typer.echo(__version__)

    @app.command()
    def init(database_url: str = typer.Option(None, help="Database URL (default: settings).")
             ) -> None:
        """Create or migrate the database to the latest schema and load reference data."""
        from observatory.registry.setup import init_database

        engine = make_engine(database_url)
        result = init_database(engine)
        loaded = sum(c.inserted for c in result.counts.values())
        typer.echo(f"database at {engine.url.render_as_string()} is at the latest schema; "
                   f"{loaded} reference rows added")

    @app.command("import")
    def import_(
        path: Path = typer.Argument(..., help="CSV, XLSX or JSON file, or a folder/ZIP bundle."),
        entity: str = typer.Option(None, "--entity", help=f"One of: {', '.join(SPECS)}"),
        dry_run: bool = typer.Option(False, "--dry-run", help="Validate only; write nothing."),
        encoding: str = typer.Option(None, help="Force a text encoding (e.g. gbk)."),
        errors_out: Path = typer.Option(None, "--errors-out", help="Write errors as CSV here."),
        database_url: str = typer.Option(None, help="Database URL (default: settings)."),
    ) -> None:
        """Import a file or bundle: all rows valid and written in one transaction, or nothing."""
        from observatory.registry.importer import import_path

        engine = make_engine(database_url)
        try:
            with rich_progress() as progress:
                result = import_path(engine, path, entity, dry_run=dry_run, encoding=encoding,
                                     progress=_Bar(progress))
        except ImportFailed as failed:
            console.print(f"[red]import failed: {len(failed.errors)} error(s); nothing written "
                          f"/ 导入失败：{len(failed.errors)} 处错误，未写入任何数据[/red]")
            for error in failed.errors[:200]:
                console.print("  " + error.describe(), markup=False, highlight=False)
            if len(failed.errors) > 200:
                console.print(f"  ... and {len(failed.errors) - 200} more")
            if errors_out is not None:
                errors_to_csv(failed.errors, errors_out)
                console.print(f"error report written to {errors_out}")
            raise typer.Exit(2) from None
        table = RichTable("entity", "inserted", "updated", "unchanged",
                          title="dry run: nothing written" if dry_run else "imported")
        for name, counts in result.counts.items():
            table.add_row(name, str(counts.inserted), str(counts.updated), str(counts.unchanged))
        Console().print(table)

    @app.command()
    def export(
        entity: str = typer.Option(None, "--entity", help=f"One of: {', '.join(SPECS)}"),
        fmt: str = typer.Option("csv", "--format", help="csv, xlsx or json"),
        out: Path = typer.Option(None, "--out",
                                 help="File (one entity) or folder (all entities)."),
        database_url: str = typer.Option(None, help="Database URL (default: settings)."),
    ) -> None:
        """Export one entity (to a file or stdout) or, without --entity, a whole bundle."""
        from sqlalchemy.orm import Session

        from observatory.registry.exporter import FORMATS, export_bundle, export_entity

        if fmt not in FORMATS:
            raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
        if entity is not None and entity not in SPECS:
            raise typer.BadParameter(f"unknown entity; use one of {', '.join(SPECS)}",
                                     param_hint="--entity")
        engine = make_engine(database_url)
        with Session(engine) as session:
            if entity is None:
                if out is None:
                    raise typer.BadParameter("a bundle export needs --out DIR", param_hint="--out")
                paths = export_bundle(session, out, fmt)
                typer.echo(json.dumps({"written": [str(p) for p in paths]}))
                return
            data = export_entity(session, entity, fmt)
        if out is None:
            if fmt == "xlsx":
                raise typer.BadParameter("xlsx needs --out FILE", param_hint="--out")
            sys.stdout.buffer.write(data)
        else:
            out.write_bytes(data)


def register_generation(app: typer.Typer) -> None:
    """Attach ``generate`` and ``demo``."""

    @app.command()
    def generate(
        city: str = typer.Option("qingdao-example", help="The example city to build."),
        seed: int = typer.Option(42, help="Random seed: the same seed gives the same database."),
        scale: float = typer.Option(1.0, help="Multiply record counts (benchmarks)."),
        baseline_year: int = typer.Option(2023, help="Baseline year of the doubling plan."),
        replace: bool = typer.Option(False, help="Delete the database file first (SQLite)."),
        database_url: str = typer.Option(None, help="Database URL (default: settings)."),
    ) -> None:
        """Generate the synthetic example city (every record says it is synthetic)."""
        from observatory.examples.generator import generate_city
        from observatory.registry.setup import init_database

        if city != "qingdao-example":
            raise typer.BadParameter("only qingdao-example is bundled", param_hint="--city")
        if scale <= 0:
            raise typer.BadParameter("must be positive", param_hint="--scale")
        engine = make_engine(database_url)
        if replace:
            _drop_sqlite(engine)
            engine = make_engine(database_url)
        init_database(engine)
        try:
            with rich_progress() as progress:
                report = generate_city(engine, seed=seed, scale=scale,
                                       baseline_year=baseline_year, progress=_Bar(progress))
        except ValueError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None
        total = sum(report.rows.values())
        typer.echo(f"generated {total:,} rows in {report.seconds:.1f} s "
                   f"({report.rows_per_second:,.0f} rows/s); seed={seed} scale={scale}")

    @app.command()
    def demo(
        serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the web app after."),
        host: str = typer.Option("127.0.0.1"),
        port: int = typer.Option(8000),
    ) -> None:
        """Build the example city into the default database (once) and show it."""
        from observatory.examples.demo import build_demo, print_summary

        engine = make_engine()
        built = build_demo(engine, progress_factory=lambda p: _Bar(p), progress=rich_progress())
        print_summary(engine, Console(), freshly_built=built)
        from observatory.examples.demo import print_accounts, serve_app

        print_accounts(engine, Console())
        if serve:
            serve_app(engine, host=host, port=port, console=Console())

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1"),
        port: int = typer.Option(8000),
        database_url: str = typer.Option(None, help="Database URL (default: settings)."),
    ) -> None:
        """Serve the web app and JSON API on the configured database."""
        from observatory.examples.demo import serve_app
        from observatory.registry.setup import init_database

        engine = make_engine(database_url)
        init_database(engine)
        serve_app(engine, host=host, port=port, console=Console())


def _drop_sqlite(engine) -> None:  # noqa: ANN001
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        raise typer.BadParameter("--replace only deletes SQLite files; drop the PostgreSQL "
                                 "database yourself", param_hint="--replace")
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(url.database + suffix).unlink(missing_ok=True)
