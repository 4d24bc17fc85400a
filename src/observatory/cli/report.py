"""``observatory report annual``: write the annual monitoring report as HTML, PDF or DOCX."""

from __future__ import annotations

from pathlib import Path

import typer

from observatory.cli.output import fail, settings
from observatory.services.errors import ServiceError

app = typer.Typer(help="Reports: the annual monitoring report (HTML, PDF or DOCX, zh/en).",
                  no_args_is_help=True)
SUFFIXES = (".pdf", ".html", ".htm", ".docx")


@app.callback()
def reports() -> None:
    """Reports made from the observatory database."""


@app.command("annual")
def annual(
    year: int = typer.Option(None, "--year", help="Report year; assessments use data up to it "
                                                  "(default: the settings' period)."),
    lang: str = typer.Option(None, "--lang", help="zh or en (default: the settings' first)."),
    out: Path = typer.Option(..., "--out", help="report.pdf, report.html or report.docx"),
) -> None:
    """Write the annual report for YEAR to OUT (format by extension)."""
    from observatory.db import make_engine
    from observatory.reports.annual import write_report

    deployment = settings()
    lang = lang or deployment.language
    if lang not in deployment.languages:
        fail(f"--lang {lang!r}: use one of {', '.join(deployment.languages)}",
             f"--lang {lang!r}：只能取 {'、'.join(deployment.languages)}")
    if out.suffix.lower() not in SUFFIXES:
        fail(f"--out {out}: must end in .pdf, .html or .docx",
             f"--out {out}：须以 .pdf、.html 或 .docx 结尾")
    try:
        path = write_report(make_engine(), year or deployment.period, lang, out, deployment)
    except ServiceError as exc:
        fail(exc.en, exc.zh)
    typer.echo(f"wrote {path}")
