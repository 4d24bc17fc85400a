"""CLI for this area: parse, call, format."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Composite indices: build, uncertainty and sensitivity.", no_args_is_help=True
)
