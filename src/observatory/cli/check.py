"""``observatory check``: the data-quality checks a statistics office runs before a report.

Exit code 0 when clean, 1 when anything was found, 2 on bad input."""

from __future__ import annotations

import typer

from observatory.cli.output import Column, Kind, OutputFormat, emit, fail, json_text, language
from observatory.services.check import check_report, parse_thresholds
from observatory.services.errors import ServiceError

COLUMNS = [Column("check"), Column("severity"), Column("entity"), Column("key"),
           Column("value", Kind.number), Column("limit", Kind.number), Column("message")]


def register(app: typer.Typer) -> None:
    app.command("check")(check_cmd)


def check_cmd(
    format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                        help="table, csv (findings) or json (checks and "
                                             "findings)"),
    threshold: list[str] = typer.Option([], "--threshold",
                                         help="CODE=NUMBER, replaces a check's threshold "
                                              "(repeatable), e.g. figure_moved=0.3"),
    only: list[str] = typer.Option([], "--only", help="Run only this check (repeatable)."),
    database_url: str | None = typer.Option(None, "--database-url",
                                            help="Database URL (default: settings)."),
) -> None:
    """Data-quality checks on the registry; exit 1 when any finding is reported."""
    from sqlalchemy.exc import SQLAlchemyError

    from observatory.db import make_engine

    try:
        report = check_report(make_engine(database_url), parse_thresholds(threshold), only)
    except ServiceError as exc:
        fail(exc.en, exc.zh)
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0]
        fail(f"database error (is it initialised? run `observatory init`): {first}",
             f"数据库错误（是否已初始化？请运行 observatory init）：{first}")
    lang = language()
    if format is OutputFormat.json:
        typer.echo(json_text(report.model_dump()))
    else:
        rows = [{**f.model_dump(), "message": f.message_zh if lang == "zh" else f.message_en}
                for f in report.findings]
        if format is OutputFormat.table:
            summary = [{"check": c.code, "name": c.name_zh if lang == "zh" else c.name_en,
                        "severity": c.severity, "threshold": c.threshold,
                        "findings": c.findings} for c in report.checks]
            emit(summary, format, [Column("check"), Column("name"), Column("severity"),
                                   Column("threshold", Kind.number),
                                   Column("findings", Kind.integer)],
                 title="Checks / 数据质量检查", lang=lang)
            if rows:
                emit(rows, format, COLUMNS, title="Findings / 发现的问题", lang=lang)
        else:
            emit(rows, format, COLUMNS + [Column("message_en"), Column("message_zh")])
    raise typer.Exit(0 if report.clean else 1)
