"""CLI for this area: parse, call, format."""

from __future__ import annotations

import typer

app = typer.Typer(help="Guidance-fund metrics and portfolios.", no_args_is_help=True)
