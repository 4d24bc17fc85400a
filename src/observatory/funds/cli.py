"""CLI for this area: parse, call, format."""

from __future__ import annotations

import json
import math
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from observatory.funds.metrics import FundDataError, flags, fund_metrics
from observatory.funds.registry import FundReport

app = typer.Typer(help="Guidance-fund metrics and portfolios.", no_args_is_help=True)

TABLES = ("funds", "commitments", "cashflows", "valuations", "investments", "index")
EMPTY = {"valuations": ["fund", "date", "nav"],
         "investments": ["fund", "investee", "date", "amount", "in_region"]}


def read_tables(source: Path) -> dict[str, pd.DataFrame | None]:
    """Read ``<table>.csv`` files from a folder, or sheets of the same names from an XLSX."""
    out: dict[str, pd.DataFrame | None] = {}
    if source.is_dir():
        for t in TABLES:
            f = source / f"{t}.csv"
            out[t] = pd.read_csv(f) if f.exists() else None
    elif source.suffix.lower() == ".xlsx":
        sheets = pd.read_excel(source, sheet_name=None)
        out = {t: sheets.get(t) for t in TABLES}
    else:
        raise FundDataError(str(source), None, "-", None, "expected a folder of CSV files or "
                            "an .xlsx workbook", "应为CSV文件夹或.xlsx工作簿")
    for t in ("commitments", "cashflows"):
        if out[t] is None:
            raise FundDataError(f"{source}/{t}", None, "-", None, "table missing", "缺少该表")
    for t, cols in EMPTY.items():
        if out[t] is None:
            out[t] = pd.DataFrame(columns=cols)
    if out["funds"] is None:
        out["funds"] = pd.DataFrame({"fund": sorted(out["commitments"]["fund"].unique())})
    return out


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _fail(en: str, zh: str) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"[red]{en}\n{zh}[/]", highlight=False,
                                                markup=False)
    raise typer.Exit(2)


@app.command("metrics")
def metrics_cmd(
    input: Path | None = typer.Option(None, "--input",
                                      help="Folder of CSV files or an XLSX workbook "
                                           "(default: read the registry database)."),
    fund: str | None = typer.Option(None, "--fund", help="Only this fund's family (code)."),
    as_of: str | None = typer.Option(None, "--as-of",
                                     help="Measurement date YYYY-MM-DD (default: today)."),
    format: Format = typer.Option(Format.table, "--format", help="table, csv (per fund) or json"),
    benchmark: str | None = typer.Option(
        None, "--benchmark", help="Indicator code of a benchmark index in the observations "
                                  "table, for KS-PME and direct alpha."),
    benchmark_region: str | None = typer.Option(None, "--benchmark-region",
                                                help="Region code of the benchmark series."),
    database_url: str | None = typer.Option(None, "--database-url",
                                            help="Database URL (default: settings)."),
) -> None:
    """Per-fund, family and programme metrics, portfolio views and flags."""
    try:
        when = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        _fail(f"--as-of {as_of!r}: not a YYYY-MM-DD date",
              f"--as-of {as_of!r}：日期格式应为YYYY-MM-DD")
    if input is not None:
        _metrics_from_files(input, when, format)
        return
    from sqlalchemy.exc import SQLAlchemyError

    from observatory.db import make_engine
    from observatory.funds.registry import fund_report

    try:
        report = fund_report(make_engine(database_url), when, fund, benchmark, benchmark_region)
    except FundDataError as exc:
        _fail(exc.message_en, exc.message_zh)
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0]
        _fail(f"database error (is it initialised? run `observatory init`): {first}",
              f"数据库错误（是否已初始化？请运行 observatory init）：{first}")
    if format == Format.json:
        typer.echo(json.dumps(report_dict(report), ensure_ascii=False, default=str))
    elif format == Format.csv:
        typer.echo(report.funds.to_csv(index=False), nl=False)
    else:
        print_report(report, Console(width=200))


def _metrics_from_files(input: Path, when: date, format: Format) -> None:
    try:
        t = read_tables(input)
        m = fund_metrics(t["funds"], t["commitments"], t["cashflows"], t["valuations"],
                         t["investments"], when, t["index"])
        fl = flags(t["funds"], t["cashflows"], t["investments"], t["commitments"], when)
    except FundDataError as exc:
        _fail(exc.message_en, exc.message_zh)
    except ValueError as exc:
        _fail(str(exc), str(exc))
    merged = m.merge(fl, on="fund", how="left", suffixes=("", "_flag"))
    if format == Format.json:
        typer.echo(merged.to_json(orient="records", date_format="iso", force_ascii=False))
        return
    if format == Format.csv:
        typer.echo(merged.to_csv(index=False), nl=False)
        return
    Console(width=160).print(_table(merged, FILE_COLUMNS))


FILE_COLUMNS = ["fund", "committed", "paid_in", "distributed", "nav", "dpi", "tvpi", "irr",
                "fiscal_leverage_F_over_G", "no_investment_12m", "return_shortfall"]
FUND_COLUMNS = ["fund", "parent", "vintage", "committed", "G", "P", "called", "distributed",
                "nav", "dpi", "rvpi", "tvpi", "moic", "irr", "fiscal_leverage_F_over_G",
                "return_multiple", "return_multiple_required", "deals"]
POOLED_COLUMNS = ["funds", "declared_size", "committed", "G", "S", "P", "paid_in", "distributed",
                  "nav", "dpi", "rvpi", "tvpi", "irr", "fiscal_leverage_F_over_G",
                  "private_mobilisation_P_over_G", "invested", "deals"]


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(df.to_json(orient="records", date_format="iso", force_ascii=False))


def report_dict(report: FundReport) -> dict[str, Any]:
    """The whole report as JSON-ready data (NaN -> null, dates ISO)."""
    programme = {k: (None if isinstance(v, float) and math.isnan(v) else v)
                 for k, v in report.programme.items()}
    return {"as_of": report.as_of.isoformat(), "benchmark": report.benchmark,
            "programme": programme, "families": _records(report.families),
            "funds": _records(report.funds),
            "portfolio": {k: _records(v) for k, v in report.portfolio.items()},
            "notes": report.notes}


def _table(df: pd.DataFrame, cols: list[str], title: str | None = None) -> Table:
    table = Table(title=title)
    cols = [c for c in cols if c in df.columns]
    for c in cols:
        table.add_column(c)
    for _, r in df.iterrows():
        table.add_row(*[_cell(r.get(c)) for c in cols])
    return table


def print_report(report: FundReport, console: Console) -> None:
    """Programme, families, funds, flags and portfolio views as Rich tables."""
    console.print(_table(pd.DataFrame([report.programme]), POOLED_COLUMNS,
                         ("Programme" if report.scope is None else f"Family of {report.scope}")
                         + f" as of {report.as_of} (m = million yuan) / 截至{report.as_of}"))
    if len(report.families):
        console.print(_table(report.families, ["family", *POOLED_COLUMNS],
                             "Fund families (mother > sub-funds) / 母子基金"))
    cols = FUND_COLUMNS + (["ks_pme", "direct_alpha"] if report.benchmark else [])
    console.print(_table(report.funds, cols, "Funds / 各基金"))
    flagged = report.funds[report.funds["no_investment_12m"] | report.funds["calls_behind"]
                           | report.funds["return_shortfall"]]
    console.print(_table(flagged, ["fund", "last_investment", "no_investment_12m",
                                   "calls_behind", "return_shortfall", "shortfall_amount"],
                         f"Flags ({len(flagged)} funds) / 预警"))
    for view, df in report.portfolio.items():
        console.print(_table(df, list(df.columns), f"Portfolio by {view} / 投资组合"))
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)


def _cell(v: object) -> str:
    """Ratios with 4 decimals, money (≥ 1 m) in millions of yuan, other numbers as they are."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "—"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        if abs(v) >= 1e6:
            return f"{v / 1e6:,.1f} m"
        return f"{v:,.4f}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)
