"""``observatory report annual``: write the annual monitoring report as HTML or PDF."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Reports: the annual monitoring report (HTML or PDF, zh/en).",
                  no_args_is_help=True)


@app.callback()
def reports() -> None:
    """Reports made from the observatory database."""


@app.command("annual")
def annual(
    year: int = typer.Option(..., "--year", help="Report year; assessments use data up to it."),
    lang: str = typer.Option("zh", "--lang", help="zh or en"),
    out: Path = typer.Option(..., "--out", help="report.pdf or report.html"),
) -> None:
    """Write the annual report for YEAR to OUT (format by extension)."""
    from observatory.db import make_engine
    from observatory.reports.annual import write_report

    if lang not in ("zh", "en"):
        raise typer.BadParameter("--lang must be zh or en")
    if out.suffix.lower() not in (".pdf", ".html", ".htm"):
        raise typer.BadParameter("--out must end in .pdf or .html")
    path = write_report(make_engine(), year, lang, out)
    typer.echo(f"wrote {path}")
