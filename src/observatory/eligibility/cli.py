"""CLI for this area: parse, call, format."""

from __future__ import annotations

import typer

app = typer.Typer(help="Designation eligibility: assess an enterprise, list the cultivation pipeline.", no_args_is_help=True)
