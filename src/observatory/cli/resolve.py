"""``observatory resolve organisations``: which registry organisation each printed name is.

Reads a CSV or XLSX file with a ``name`` column (or 企业名称 / 单位名称 / 名称) and optional
region and USCC columns; writes one row per input row, in input order: the input ``name``,
``uscc``, ``matched_name``, ``score`` (0-100) and ``decision`` (auto | review | none). For
``review`` the USCC and name are the best candidate's, for a person to check; for ``none`` they
are empty. Method and measured precision: docs/methodology/name_resolution.md.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from observatory.cli.output import Column, OutputFormat, emit, fail
from observatory.db import make_engine
from observatory.registry.errors import ImportFailed, errors_to_csv
from observatory.services import resolution
from observatory.services.errors import ServiceError

app = typer.Typer(help="Resolve names to registry organisations.", no_args_is_help=True)

DB_HELP = "Database URL (default: settings)."
RESULT_COLUMNS = [Column("name"), Column("uscc"), Column("matched_name"),
                  Column("score", header="score"), Column("decision")]
ERRORS_SHOWN = 200


def engine_of(database_url: str | None) -> Engine:
    """The engine for the URL; an unusable URL stops the command with a bilingual error."""
    try:
        return make_engine(database_url)
    except (ArgumentError, ValueError) as exc:
        fail(f"database URL {database_url!r} is not usable: {exc}",
             f"数据库地址 {database_url!r} 无法使用：{exc}")


def report_errors(failed: ImportFailed, errors_out: Path | None = None) -> None:
    """Every problem of the input, in both languages; exit 2, nothing written."""
    console = Console(stderr=True, soft_wrap=True)
    console.print(f"{len(failed.errors)} error(s); nothing written "
                  f"/ {len(failed.errors)} 处错误，未写入任何数据", markup=False)
    for error in failed.errors[:ERRORS_SHOWN]:
        console.print("  " + error.describe(), markup=False, highlight=False)
    if errors_out is not None:
        errors_to_csv(failed.errors, errors_out)
    raise typer.Exit(2)


@app.command()
def organisations(
    path: Path = typer.Argument(..., help="CSV or XLSX file with a name column."),
    out: Path = typer.Option(None, "--out", help="Write the result CSV here (else stdout)."),
    region: str = typer.Option(None, "--region",
                               help="Region code or name every firm should be in."),
    encoding: str = typer.Option(None, help="Force a text encoding (e.g. gbk)."),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Resolve each row's name to an organisation: auto (sure), review, or none."""
    engine = engine_of(database_url)
    try:
        results = resolution.resolve_file(engine, path, region=region, encoding=encoding)
    except ImportFailed as failed:
        report_errors(failed)
    except ServiceError as exc:
        fail(exc.en, exc.zh)
    except SQLAlchemyError as exc:
        fail(f"cannot read the registry: {exc}", f"无法读取登记库：{exc}")
    rows = [{"name": r.name, "uscc": r.uscc, "matched_name": r.matched_name,
             "score": r.score, "decision": r.decision} for r in results]
    emit(rows, OutputFormat.csv, RESULT_COLUMNS, output=out)
    tally = Counter(r.decision for r in results)
    Console(stderr=True).print(
        f"{len(results)} names: auto {tally['auto']}, review {tally['review']}, "
        f"none {tally['none']} / 共 {len(results)} 个名称：自动 {tally['auto']}，"
        f"待审核 {tally['review']}，未找到 {tally['none']}", markup=False, highlight=False)
