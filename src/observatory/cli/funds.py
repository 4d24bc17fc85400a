"""``observatory funds``: guidance-fund metrics and portfolios, from the registry or files."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.console import Console

from observatory.cli.output import (
    Column,
    Kind,
    OutputFormat,
    emit,
    fail,
    frame_rows,
    infer_kind,
    json_text,
    language,
    print_table,
    table_of,
)
from observatory.funds.metrics import FundDataError
from observatory.funds.programme import FundReport
from observatory.registry.cells import neutralise

app = typer.Typer(help="Guidance-fund metrics and portfolios.", no_args_is_help=True)

FILE_COLUMNS = ["fund", "committed", "paid_in", "distributed", "nav", "dpi", "tvpi", "irr",
                "fiscal_leverage_F_over_G", "no_investment_12m", "return_shortfall"]
FUND_COLUMNS = ["fund", "parent", "vintage", "committed", "G", "P", "called", "paid_in",
                "distributed", "nav", "dpi", "rvpi", "tvpi", "moic", "irr",
                "fiscal_leverage_F_over_G", "deployed", "deployment_of_paid_in",
                "deployment_of_committed", "return_multiple", "return_multiple_required",
                "deals"]
POOLED_COLUMNS = ["funds", "declared_size", "committed", "G", "S", "P", "paid_in", "distributed",
                  "nav", "dpi", "rvpi", "tvpi", "irr", "fiscal_leverage_F_over_G",
                  "private_mobilisation_P_over_G", "invested", "deployment_of_paid_in",
                  "deployment_of_committed", "in_region_invested", "return_multiple_committed",
                  "return_multiple_paid_in", "deals"]
FLAG_COLUMNS = ["fund", "last_investment", "no_investment_12m", "calls_behind",
                "return_shortfall", "shortfall_amount"]
#: How each fund figure reads: money in 亿元 / bn yuan, returns as percentages.
FUND_KINDS = {**dict.fromkeys(("committed", "G", "S", "P", "called", "distributed", "nav",
                               "paid_in", "declared_size", "invested", "amount",
                               "shortfall_amount", "size", "deployed", "in_region_invested",
                               "g_paid_in", "paid_into_sub_funds"), Kind.yuan),
              **dict.fromkeys(("irr", "direct_alpha", "share", "deployment_of_paid_in",
                               "deployment_of_committed"), Kind.percent),
              **dict.fromkeys(("funds", "deals", "investees"), Kind.integer),
              **dict.fromkeys(("dpi", "rvpi", "tvpi", "moic", "fiscal_leverage_F_over_G",
                               "private_mobilisation_P_over_G", "return_multiple",
                               "return_multiple_required", "ks_pme", "return_multiple_committed",
                               "return_multiple_paid_in"), Kind.decimal),
              "vintage": Kind.text}


def fund_columns(keys: Sequence[str], rows: Sequence[dict[str, Any]]) -> list[Column]:
    """Columns of fund figures: known ones by kind, others as their values suggest."""
    present = {k for row in rows for k in row} if rows else set(keys)
    return [Column(k, FUND_KINDS.get(k) or infer_kind(k, (r.get(k) for r in rows)))
            for k in keys if k in present]


def _date_option(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--as-of {value!r}: not a YYYY-MM-DD date",
             f"--as-of {value!r}：日期格式应为YYYY-MM-DD")


@app.command("metrics")
def metrics_cmd(
    input: Path | None = typer.Option(None, "--input",
                                      help="Folder of CSV files or an XLSX workbook "
                                           "(default: read the registry database)."),
    fund: str | None = typer.Option(None, "--fund", help="Only this fund's family (code)."),
    as_of: str | None = typer.Option(None, "--as-of",
                                     help="Measurement date YYYY-MM-DD (default: the date the "
                                          "fund records run to; files: today)."),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                        help="table, csv (per fund) or json"),
    benchmark: str | None = typer.Option(
        None, "--benchmark", help="Indicator code of a benchmark index in the observations "
                                  "table, for KS-PME and direct alpha."),
    benchmark_region: str | None = typer.Option(None, "--benchmark-region",
                                                help="Region code of the benchmark series."),
    database_url: str | None = typer.Option(None, "--database-url",
                                            help="Database URL (default: settings)."),
) -> None:
    """Per-fund, family and programme metrics, portfolio views and flags."""
    when = _date_option(as_of)
    if input is not None:
        _metrics_from_files(input, when or date.today(), format)
        return
    from sqlalchemy.exc import SQLAlchemyError

    from observatory.db import make_engine
    from observatory.funds.programme import data_as_of, fund_report

    try:
        engine = make_engine(database_url)
        report = fund_report(engine, when or data_as_of(engine), fund, benchmark,
                             benchmark_region)
    except FundDataError as exc:
        fail(exc.message_en, exc.message_zh)
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0]
        fail(f"database error (is it initialised? run `observatory init`): {first}",
             f"数据库错误（是否已初始化？请运行 observatory init）：{first}")
    if format is OutputFormat.json:
        typer.echo(json_text(report_dict(report)))
    elif format is OutputFormat.csv:
        typer.echo(report.funds.map(neutralise).to_csv(index=False), nl=False)
    else:
        print_report(report, Console())


def _metrics_from_files(input: Path, when: date, format: OutputFormat) -> None:
    from observatory.funds.files import file_metrics

    try:
        merged = file_metrics(input, when)
    except FundDataError as exc:
        fail(exc.message_en, exc.message_zh)
    except ValueError as exc:
        fail(str(exc), str(exc))
    rows = frame_rows(merged)
    if format is OutputFormat.table:
        emit(rows, format, fund_columns(FILE_COLUMNS, rows), lang=language())
    elif format is OutputFormat.csv:
        typer.echo(merged.map(neutralise).to_csv(index=False), nl=False)
    else:
        typer.echo(json_text(rows))


def report_dict(report: FundReport) -> dict[str, Any]:
    """The whole report as JSON-ready data (NaN -> null, dates ISO)."""
    return {"as_of": report.as_of.isoformat(), "benchmark": report.benchmark,
            "programme": dict(report.programme), "families": frame_rows(report.families),
            "funds": frame_rows(report.funds),
            "portfolio": {k: frame_rows(v) for k, v in report.portfolio.items()},
            "notes": report.notes}


def _print(frame: pd.DataFrame, keys: Sequence[str], title: str, console: Console,
           lang: str) -> None:
    rows = frame_rows(frame)
    print_table(table_of(rows, fund_columns(keys, rows), title, lang), console)


def print_report(report: FundReport, console: Console) -> None:
    """Programme, families, funds, flags and portfolio views as tables."""
    lang = language()
    scope = "Programme" if report.scope is None else f"Family of {report.scope}"
    _print(pd.DataFrame([report.programme]), POOLED_COLUMNS,
           f"{scope} as of {report.as_of} / 截至{report.as_of}", console, lang)
    if len(report.families):
        _print(report.families, ["family", *POOLED_COLUMNS],
               "Fund families (mother > sub-funds) / 母子基金", console, lang)
    cols = FUND_COLUMNS + (["ks_pme", "direct_alpha"] if report.benchmark else [])
    _print(report.funds, cols, "Funds / 各基金", console, lang)
    funds = report.funds
    flagged = funds[funds["no_investment_12m"] | funds["calls_behind"]
                    | funds["return_shortfall"]]
    _print(flagged, FLAG_COLUMNS, f"Flags ({len(flagged)} funds) / 预警", console, lang)
    for view, df in report.portfolio.items():
        _print(df, [str(c) for c in df.columns], f"Portfolio by {view} / 投资组合", console,
               lang)
    for note in report.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
