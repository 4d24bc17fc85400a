"""CLI for progress assessment and plan targets: parse, call, format."""

from __future__ import annotations

import typer

progress_app = typer.Typer(help="Assess progress of series against targets.", no_args_is_help=True)
targets_app = typer.Typer(help="Plan targets in the database.", no_args_is_help=True)
