"""``observatory fairs``: technology fairs (对接会) grouping matched pairs: create, list, add
matches, export. Changes are audited under the operating-system user."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import pandas as pd
import typer
from sqlalchemy import Engine

from observatory.cli.output import Column, Kind, OutputFormat, emit, fail, frame_rows, json_text

app = typer.Typer(help="Technology fairs: create, list, add matches, export.",
                  no_args_is_help=True)
DB_HELP = "Database URL (default: settings)."
LIST_COLUMNS = [Column("code"), Column("name_zh"), Column("name_en"), Column("held_on"),
                Column("place"), Column("pairs", Kind.integer), Column("contracted", Kind.integer)]


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:120]
    except (KeyError, OSError):
        return "cli"


def _engine(database_url: str | None) -> Engine:
    from observatory.db import make_engine

    return make_engine(database_url)


@app.command("create")
def create_cmd(
    name_zh: str = typer.Option(..., "--name-zh", help="Chinese name."),
    held_on: str = typer.Option(..., "--held-on", help="Date YYYY-MM-DD."),
    name_en: str | None = typer.Option(None, "--name-en", help="English name."),
    place: str | None = typer.Option(None, "--place", help="Where it is held."),
    database_url: str | None = typer.Option(None, "--database-url", help=DB_HELP),
) -> None:
    """Create a fair; prints its code."""
    from sqlalchemy.orm import Session

    from observatory.market.fairs import create_fair
    from observatory.market.workflow import WorkflowError

    try:
        when = dt.date.fromisoformat(held_on)
    except ValueError:
        fail(f"--held-on {held_on!r}: not a YYYY-MM-DD date",
             f"--held-on {held_on!r}：日期格式应为YYYY-MM-DD")
    try:
        with Session(_engine(database_url)) as session, session.begin():
            code = create_fair(session, name_zh=name_zh, name_en=name_en, held_on=when,
                               place=place, actor=_actor()).code
    except WorkflowError as exc:
        fail(exc.en, exc.zh)
    typer.echo(code)


@app.command("list")
def list_cmd(
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json"),
    database_url: str | None = typer.Option(None, "--database-url", help=DB_HELP),
) -> None:
    """Every fair with its number of pairs and of contracted pairs."""
    from sqlalchemy.orm import Session

    from observatory.market.fairs import list_fairs

    with Session(_engine(database_url)) as session:
        rows = frame_rows(list_fairs(session))
    emit(rows, fmt, LIST_COLUMNS, title="Fairs / 对接会")


@app.command("add")
def add_cmd(
    fair: str = typer.Argument(..., help="Fair code, e.g. FAIR0001."),
    matches: list[str] = typer.Argument(..., help="Match codes to add."),
    database_url: str | None = typer.Option(None, "--database-url", help=DB_HELP),
) -> None:
    """Add matches to a fair (those already in it are left alone)."""
    from sqlalchemy.orm import Session

    from observatory.market.fairs import add_matches
    from observatory.market.workflow import WorkflowError

    try:
        with Session(_engine(database_url)) as session, session.begin():
            added = add_matches(session, fair, matches, actor=_actor())
    except WorkflowError as exc:
        fail(exc.en, exc.zh)
    typer.echo(f"{fair}: {len(added)} added / 新增 {len(added)} 项")


@app.command("export")
def export_cmd(
    fair: str = typer.Argument(..., help="Fair code."),
    fmt: str = typer.Option("csv", "--format", help="csv, xlsx or json"),
    out: Path | None = typer.Option(None, "--out", help="Write to this file (xlsx: required)."),
    database_url: str | None = typer.Option(None, "--database-url", help=DB_HELP),
) -> None:
    """A fair's pairs with demand, achievement, broker, status and contract."""
    from sqlalchemy.orm import Session

    from observatory.market.fairs import PAIR_COLUMNS, fair_pairs
    from observatory.market.workflow import WorkflowError

    if fmt not in ("csv", "xlsx", "json"):
        fail(f"--format {fmt!r}: csv, xlsx or json", f"--format {fmt!r}：应为 csv、xlsx 或 json")
    if fmt == "xlsx" and out is None:
        fail("--format xlsx needs --out FILE", "xlsx 格式须指定 --out 文件")
    try:
        with Session(_engine(database_url)) as session:
            _, frame = fair_pairs(session, fair)
    except WorkflowError as exc:
        fail(exc.en, exc.zh)
    if fmt == "xlsx" and out is not None:
        _write_xlsx(frame, out)
        typer.echo(f"wrote {out} / 已写入", err=True)
        return
    rows = frame_rows(frame)
    if fmt == "json":
        text = json_text(rows) + "\n"
        if out is None:
            typer.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
        return
    emit(rows, OutputFormat.csv, [Column(c) for c in PAIR_COLUMNS], output=out)


def _write_xlsx(frame: pd.DataFrame, out: Path) -> None:
    from observatory.registry.cells import type_text_cells

    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="pairs", index=False)
        for sheet in writer.sheets.values():
            type_text_cells(sheet)
