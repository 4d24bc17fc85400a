"""CLI for this area: parse, call, format."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Technology matching: demands, achievements, free-text queries, evaluation.",
    no_args_is_help=True,
)
