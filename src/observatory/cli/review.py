"""``observatory review``: the queue of list rows whose organisation was not resolved for sure.

``list`` shows them with their candidates, ``accept ID [--uscc X]`` imports the row for the
chosen organisation (default: the first candidate), ``reject ID`` closes it unimported; both
are audited under the operating-system user's name.
"""

from __future__ import annotations

import getpass

import typer
from sqlalchemy.exc import SQLAlchemyError

from observatory.cli.output import FORMAT_HELP, Column, Kind, OutputFormat, emit, fail
from observatory.cli.resolve import engine_of
from observatory.services import resolution
from observatory.services.errors import ServiceError

app = typer.Typer(help="Review queue of names not resolved for sure.", no_args_is_help=True)

DB_HELP = "Database URL (default: settings)."
COLUMNS = [Column("id"), Column("status"), Column("decision"), Column("source_file"),
           Column("row_no"), Column("row_key"), Column("name"), Column("candidate_uscc"),
           Column("candidate_name"), Column("score", Kind.decimal, digits=1),
           Column("resolved_uscc")]


def _actor() -> str:
    """Who the audit log names for a command-line change: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"[:120]
    except (KeyError, OSError):
        return "cli"


def _rows(items: list[resolution.ReviewItem]) -> list[dict[str, object]]:
    rows = []
    for item in items:
        best = item.candidates[0] if item.candidates else None
        rows.append({"id": item.id, "status": item.status, "decision": item.decision,
                     "source_file": item.source_file, "row_no": item.row_no,
                     "row_key": item.row_key, "name": item.name,
                     "candidate_uscc": best.uscc if best else None,
                     "candidate_name": best.name if best else None,
                     "score": best.score if best else None,
                     "resolved_uscc": item.resolved_uscc})
    return rows


@app.command("list")
def list_(
    status: str = typer.Option("pending", help="pending, accepted, rejected or all."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """List queued rows with their best candidate."""
    try:
        queue = resolution.review_queue(engine_of(database_url), status)
    except ServiceError as exc:
        fail(exc.en, exc.zh)
    except SQLAlchemyError as exc:
        fail(f"cannot read the review queue: {exc}", f"无法读取审核队列：{exc}")
    emit(_rows(queue.items), fmt, COLUMNS, title=f"review queue: {status}")


@app.command()
def accept(
    item_id: int = typer.Argument(..., help="The queued row's id."),
    uscc: str = typer.Option(None, "--uscc", help="The organisation (default: 1st candidate)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Import a queued row for the chosen organisation."""
    try:
        item = resolution.accept_review(engine_of(database_url), item_id, uscc, actor=_actor())
    except ServiceError as exc:
        fail(exc.en, exc.zh)
    except SQLAlchemyError as exc:
        fail(f"cannot accept the row: {exc}", f"无法确认该记录：{exc}")
    emit(_rows([item]), fmt, COLUMNS, title="accepted")


@app.command()
def reject(
    item_id: int = typer.Argument(..., help="The queued row's id."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Close a queued row without importing it."""
    try:
        item = resolution.reject_review(engine_of(database_url), item_id, actor=_actor())
    except ServiceError as exc:
        fail(exc.en, exc.zh)
    except SQLAlchemyError as exc:
        fail(f"cannot reject the row: {exc}", f"无法驳回该记录：{exc}")
    emit(_rows([item]), fmt, COLUMNS, title="rejected")
