"""CLI for this area: parse, call, format."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from observatory.funds.metrics import FundDataError, flags, fund_metrics

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


@app.command("metrics")
def metrics_cmd(
    input: Path = typer.Option(..., "--input", help="Folder of CSV files or an XLSX workbook."),
    as_of: str = typer.Option(..., "--as-of", help="Measurement date YYYY-MM-DD."),
    format: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """Per-fund metrics and flags from CSV/XLSX tables (the database version comes later)."""
    try:
        when = date.fromisoformat(as_of)
        t = read_tables(input)
        m = fund_metrics(t["funds"], t["commitments"], t["cashflows"], t["valuations"],
                         t["investments"], when, t["index"])
        fl = flags(t["funds"], t["cashflows"], t["investments"], t["commitments"], when)
    except FundDataError as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]{exc.message_en}\n{exc.message_zh}[/]")
        raise typer.Exit(2) from None
    except ValueError as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    merged = m.merge(fl, on="fund", how="left", suffixes=("", "_flag"))
    if format == "json":
        typer.echo(merged.to_json(orient="records", date_format="iso", force_ascii=False))
        return
    table = Table()
    cols = ["fund", "committed", "paid_in", "distributed", "nav", "dpi", "tvpi", "irr",
            "fiscal_leverage_F_over_G", "no_investment_12m", "return_shortfall"]
    for c in cols:
        table.add_column(c)
    for _, r in merged.iterrows():
        table.add_row(*[_cell(r.get(c)) for c in cols])
    Console(width=160).print(table)


def _cell(v: object) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:,.4f}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)

