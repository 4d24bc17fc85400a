"""The example city and serving: ``generate``, ``demo`` and ``serve``.

``generate`` and ``demo`` write the example city's deployment settings (``observatory.toml``
in the home) so the pages, reports and commands that follow show its region, years and key
plan. The demo's accounts and the web server live here, not in ``examples``: the example city
never imports the web app.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy import Engine

from observatory.cli.output import Column, Kind, fail, print_table, settings, table_of
from observatory.cli.progress import ProgressBar, rich_progress
from observatory.db import make_engine

DB_HELP = "Database URL (default: settings)."


def write_example_settings(values: dict[str, object] | None = None) -> Path:
    """The example's deployment settings (default: the city's), written to ``observatory.toml``
    in the home."""
    from observatory.config import write_settings
    from observatory.examples import EXAMPLE_CITY_SETTINGS

    return write_settings(settings().home, dict(values or EXAMPLE_CITY_SETTINGS))


PROVINCE_EXAMPLE = "shandong-example"


def generate(
    city: str = typer.Option(None, help="The example city to build (the bundled one)."),
    province: str = typer.Option(None, help=f"The example province to build ({PROVINCE_EXAMPLE}:"
                                 " its 16 cities, Qingdao as the example city, calibrated to the"
                                 " NBS provincial figures)."),
    seed: int = typer.Option(42, help="Random seed: the same seed gives the same database."),
    scale: float = typer.Option(1.0, help="Multiply record counts (benchmarks)."),
    baseline_year: int = typer.Option(None, help="Baseline year of the doubling plan "
                                                 "(default: the example city's)."),
    replace: bool = typer.Option(False, help="Delete the database file first (SQLite)."),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Generate the synthetic example city or province (every record says it is synthetic)."""
    from observatory.examples.demo import EXAMPLE_CITY
    from observatory.examples.generator import generate_city
    from observatory.examples.province import generate_province, province_settings
    from observatory.registry.setup import init_database

    if city is not None and city != EXAMPLE_CITY:
        fail(f"--city {city!r}: only {EXAMPLE_CITY} is bundled",
             f"--city {city!r}：只附带示例城市 {EXAMPLE_CITY}")
    if province is not None and (province != PROVINCE_EXAMPLE or city is not None):
        fail(f"--province {province!r}: only {PROVINCE_EXAMPLE} is bundled, without --city",
             f"--province {province!r}：只附带示例省份 {PROVINCE_EXAMPLE}，且不能同时指定 --city")
    if scale <= 0:
        fail(f"--scale {scale}: must be positive", f"--scale {scale}：必须为正数")
    engine = make_engine(database_url)
    if replace:
        _drop_sqlite(engine)
        engine = make_engine(database_url)
    init_database(engine)
    try:
        with rich_progress() as progress:
            bar = ProgressBar(progress)
            if province is not None:
                report = generate_province(engine, seed=seed, scale=scale, progress=bar)
            elif baseline_year is None:
                report = generate_city(engine, seed=seed, scale=scale, progress=bar)
            else:
                report = generate_city(engine, seed=seed, scale=scale, progress=bar,
                                       baseline_year=baseline_year)
    except ValueError as exc:
        fail(str(exc), str(exc))
    path = write_example_settings(province_settings() if province is not None else None)
    total = sum(report.rows.values())
    typer.echo(f"generated {total:,} rows in {report.seconds:.1f} s "
               f"({report.rows_per_second:,.0f} rows/s); seed={seed} scale={scale}; "
               f"settings in {path}")


def demo(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the web app after."),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    walkthrough_passwords: bool = typer.Option(
        False, "--walkthrough-passwords",
        help="Give the demo accounts the fixed passwords of the README's walkthrough "
             "(default: random passwords, printed once)."),
) -> None:
    """Build the example city into the default database (once) and show it."""
    from observatory.examples.demo import build_demo

    engine = make_engine()
    with rich_progress() as progress:
        built = build_demo(engine, progress=ProgressBar(progress))
    write_example_settings()
    print_summary(engine, freshly_built=built)
    print_accounts(engine, walkthrough_passwords)
    if serve:
        serve_app(engine, host=host, port=port)


def print_summary(engine: Engine, freshly_built: bool) -> None:
    """Record counts and the article's published figures beside the records'."""
    from observatory.examples.demo import DEMO_SEED, demo_summary

    summary = demo_summary(engine)
    state = "built" if freshly_built else "already built (re-running changes nothing)"
    console = Console(soft_wrap=True)
    console.print(f"[bold]Example city (synthetic, seed {DEMO_SEED}) {state}[/bold] "
                  f"in {engine.url.render_as_string()}")
    lang = settings().language
    counts = [{"records": name, "rows": n} for name, n in summary.counts]
    print_table(table_of(counts, [Column("records"), Column("rows", Kind.integer)],
                         "Registry", lang), console)
    figures = [vars(f) for f in summary.figures]
    columns = [Column("indicator"), Column("region"), Column("period"),
               Column("published", Kind.amount), Column("computed", Kind.amount,
                                                        "from the records"), Column("unit")]
    print_table(table_of(figures, columns, "Published figures (seed article) and the "
                         "example city's records", lang), console)


def print_accounts(engine: Engine, walkthrough: bool = False) -> None:
    """Create the demo accounts (once) and show how to log in: random passwords are shown
    this once (a later run says "(unchanged)"; ``users reset-password`` sets a new one)."""
    from observatory.services.accounts import KEPT, ensure_demo_accounts

    rows = [{"username": u, "password": p, "role": r}
            for u, p, r in ensure_demo_accounts(engine, walkthrough=walkthrough)]
    print_table(table_of(rows, [Column("username"), Column("password"), Column("role")],
                         "Demo accounts / 演示账号", settings().language))
    if not walkthrough and any(r["password"] != KEPT for r in rows):
        typer.echo("These passwords are shown once / 以上密码只显示这一次 "
                   "(observatory users reset-password NAME --password-stdin).")


def serve_app(engine: Engine, host: str, port: int, workers: int = 1) -> None:
    """Serve the web app and JSON API (until Ctrl-C).

    One worker serves the app built here; several are separate processes, each building the
    app from the settings (``create_app_from_settings``, the database URL passed in
    ``OBSERVATORY_DATABASE_URL``). They share everything through the database: sessions,
    login failures, cache versions, listing vectors (docs/web.md, "Several workers")."""
    import uvicorn

    from observatory.web.app import create_app

    Console().print(f"[bold]Serving http://{host}:{port}[/bold] with {workers} worker"
                    f"{'s' if workers > 1 else ''} (Ctrl-C stops)")
    proxies = settings().trusted_proxies
    # Only the configured proxies may say who the client is (X-Forwarded-For); uvicorn's own
    # default would trust any peer on 127.0.0.1.
    options = {"host": host, "port": port, "proxy_headers": bool(proxies),
               "forwarded_allow_ips": ",".join(proxies) or None}
    if workers == 1:
        uvicorn.run(create_app(engine, warm_pages=True), **options)  # type: ignore[arg-type]
        return
    os.environ["OBSERVATORY_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    engine.dispose()  # the workers open their own connections
    uvicorn.run("observatory.web.app:create_app_from_settings", factory=True, workers=workers,
                **options)  # type: ignore[arg-type]


def serve(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    workers: int = typer.Option(1, help="Server processes (they share state through the "
                                        "database; on SQLite writes still take turns)."),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Serve the web app and JSON API on the configured database."""
    from observatory.registry.setup import init_database

    if not 1 <= workers <= 64:
        fail(f"--workers {workers}: must be 1 to 64", f"--workers {workers}：须为 1 至 64")
    settings()  # a broken settings file stops here, before the server starts
    engine = make_engine(database_url)
    init_database(engine)
    serve_app(engine, host=host, port=port, workers=workers)


def _drop_sqlite(engine: Engine) -> None:
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        fail("--replace only deletes SQLite files; drop the PostgreSQL database yourself",
             "--replace 只删除 SQLite 文件；PostgreSQL 数据库请自行删除")
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(url.database + suffix).unlink(missing_ok=True)


def register(app: typer.Typer) -> None:
    """Attach ``generate``, ``demo`` and ``serve`` to the top-level app."""
    app.command()(generate)
    app.command()(demo)
    app.command()(serve)
