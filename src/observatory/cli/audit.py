"""``observatory audit``: check that the audit log's hash chain is unbroken.

Why a command: an edit or deletion made directly in the database (not through the application)
leaves the audit log looking normal; only recomputing the chain shows it. ``verify`` names the
first broken link so the damage can be located, and prints the head hash so it can be noted
elsewhere (a later rewrite of the whole tail would change it).
"""

from __future__ import annotations

import typer
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from observatory.cli.output import FORMAT_HELP, Column, Kind, OutputFormat, emit, fail
from observatory.db import make_engine
from observatory.registry.audit import ChainReport, verify_chain

app = typer.Typer(help="The audit log: verify its hash chain.", no_args_is_help=True)

DB_HELP = "Database URL (default: settings)."
COLUMNS = [Column("status"), Column("records", Kind.integer), Column("head_id"),
           Column("head_hash"), Column("broken_id"), Column("field"), Column("expected"),
           Column("found")]


def _report(database_url: str | None) -> ChainReport:
    """The chain check on the database; an unusable URL or database is a bilingual error."""
    try:
        engine = make_engine(database_url)
    except (ArgumentError, ValueError) as exc:
        fail(f"database URL {database_url!r} is not usable: {exc}",
             f"数据库地址 {database_url!r} 无法使用：{exc}")
    try:
        with engine.connect() as connection:
            return verify_chain(connection)
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0]
        fail(f"cannot read the audit log (is the database at the latest schema? run "
             f"`observatory init`): {reason}",
             f"无法读取审计日志（数据库是否已升级到最新结构？请运行 `observatory init`）：{reason}")
    finally:
        engine.dispose()


@app.command()
def verify(
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Recompute the hash chain in id order; exit 1 at the first broken link, 0 if intact."""
    report = _report(database_url)
    emit([{"status": "intact" if report.intact else "broken", "records": report.records,
           "head_id": report.head_id, "head_hash": report.head_hash,
           "broken_id": report.broken_id, "field": report.field,
           "expected": report.expected, "found": report.found}], fmt, COLUMNS,
         title="audit log chain")
    if not report.intact:
        why = ("a record before it was deleted or reordered" if report.field == "prev_hash"
               else "the record was changed")
        why_zh = "其前面的记录被删除或调换" if report.field == "prev_hash" else "该记录被修改"
        fail(f"the audit chain is broken at record {report.broken_id}: {report.field} expected "
             f"{report.expected}, found {report.found} ({why})",
             f"审计链在第 {report.broken_id} 条记录处断开：{report.field} 应为 {report.expected}，"
             f"实为 {report.found}（{why_zh}）", code=1)
